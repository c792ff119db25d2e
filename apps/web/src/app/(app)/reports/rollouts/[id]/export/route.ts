import { exportError, exportResponse, formatOf, once, reportsFor } from "../../../export-response";

export const dynamic = "force-dynamic";

/** The rollout report's rows: one per node of the rollout, with its reboot's phases (or why it has none). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const report = await (await reportsFor(request)).rollout({ id: decodeURIComponent(id) });
    const rows = report.nodes.map((node) => ({ rolloutId: report.rollout.id, ...node }));
    return exportResponse(formatOf(request), `rollout-${report.rollout.id}`, once(rows));
  } catch (error) {
    return exportError(error);
  }
}
