import { exportError, exportResponse, formatOf, once, reportsFor } from "../../../export-response";

export const dynamic = "force-dynamic";

/** Every reboot of the node, with its phases. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const history = await (await reportsFor(request)).node({ nodeId: decodeURIComponent(id) });
    return exportResponse(formatOf(request), `reboots-${history.node.hostname}`, once(history.reboots));
  } catch (error) {
    return exportError(error);
  }
}
