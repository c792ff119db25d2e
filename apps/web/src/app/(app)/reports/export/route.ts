import type { RouterOutputs } from "@softfleet/api";
import {
  columnsOf,
  exportError,
  exportResponse,
  formatOf,
  PHASE_COLUMNS,
  REBOOT_COLUMNS,
  reportsFor,
} from "../export-response";
import { rangeFromSearch } from "../range";

const COLUMNS = columnsOf<RouterOutputs["reports"]["fleetRows"]["rows"][number]>()(...REBOOT_COLUMNS, ...PHASE_COLUMNS);

export const dynamic = "force-dynamic";

/** Every reboot of the fleet report's range (and group), oldest first, read a page at a time. */
export async function GET(request: Request) {
  try {
    const reports = await reportsFor(request);
    const range = rangeFromSearch(new URL(request.url).searchParams);
    // The first page is read before answering, so a bad range or a missing session gets its status.
    const first = await reports.fleetRows({ range, limit: 5000 });
    async function* pages() {
      let page = first;
      yield page.rows;
      while (page.next) {
        page = await reports.fleetRows({ range, after: page.next, limit: 5000 });
        yield page.rows;
      }
    }
    // Named by the range's days as the form shows them (its end is the last day included).
    const lastDay = new Date(range.to.getTime() - 86_400_000);
    const name = `reboots-${range.from.toISOString().slice(0, 10)}-${lastDay.toISOString().slice(0, 10)}`;
    return exportResponse(formatOf(request), name, COLUMNS, pages());
  } catch (error) {
    return exportError(error);
  }
}
