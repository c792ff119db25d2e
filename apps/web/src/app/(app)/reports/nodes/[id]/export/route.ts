import type { RouterOutputs } from "@softfleet/api";
import {
  columnsOf,
  exportError,
  exportResponse,
  formatOf,
  once,
  PHASE_COLUMNS,
  REBOOT_COLUMNS,
  reportsFor,
} from "../../../export-response";

const COLUMNS = columnsOf<RouterOutputs["reports"]["node"]["reboots"][number]>()(
  ...REBOOT_COLUMNS,
  "rolloutId",
  "rolloutGroupName",
  ...PHASE_COLUMNS,
);

export const dynamic = "force-dynamic";

/** Every reboot of the node, with its phases. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const history = await (await reportsFor(request)).node({ nodeId: decodeURIComponent(id) });
    return exportResponse(formatOf(request), `reboots-${history.node.hostname}`, COLUMNS, once(history.reboots));
  } catch (error) {
    return exportError(error);
  }
}
