import type { RouterOutputs } from "@softfleet/api";
import {
  columnsOf,
  exportError,
  exportResponse,
  formatOf,
  once,
  PHASE_COLUMNS,
  reportsFor,
} from "../../../export-response";

const COLUMNS = columnsOf<{ rolloutId: string } & RouterOutputs["reports"]["rollout"]["nodes"][number]>()(
  "rolloutId",
  "batchIndex",
  "position",
  "nodeId",
  "hostname",
  "simulated",
  "status",
  "reason",
  "commandId",
  "recordId",
  "recordedAt",
  "rebootType",
  "requested",
  "escalated",
  "beforeLost",
  "trigger",
  ...PHASE_COLUMNS,
);

export const dynamic = "force-dynamic";

/** The rollout report's rows: one per node of the rollout, with its reboot's phases (or why it has none). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const report = await (await reportsFor(request)).rollout({ id: decodeURIComponent(id) });
    const rows = report.nodes.map((node) => ({ rolloutId: report.rollout.id, ...node }));
    return exportResponse(formatOf(request), `rollout-${report.rollout.id}`, COLUMNS, once(rows));
  } catch (error) {
    return exportError(error);
  }
}
