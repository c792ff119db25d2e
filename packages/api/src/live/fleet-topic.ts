import type { FleetChange } from "@softfleet/fleet";
import type { Tx } from "../audit";
import { isFiltered, readFleetRows, readFleetTotals, readMatching } from "../domain/fleet-page";
import { type FleetMessage, type FleetPage, type FleetQuery, fleetDelta } from "../fleet-view";
import { sharedRead } from "./shared-read";
import type { Topic } from "./stream";

/** Past this many distinct nodes changed between two messages, the page is simply read again. */
const MAX_PENDING_IDS = 1_000;

/** What changed in the fleet since the last message, folded (bounded: ids past the cap become "all"). */
export interface FleetPending {
  /** Nodes whose row may have changed (state, status, a new reboot record). */
  ids: Set<string>;
  all: boolean;
  /** A node's status changed (online, offline, rebooting). */
  status: boolean;
  /** A node's reported state changed (image, staged image, soft-reboot count, labels). */
  state: boolean;
  /** A node enrolled, was revoked or deleted: the fleet's membership moved. */
  membership: boolean;
  /** When the last of these changes arrived (performance.now()): a shared read must start after it. */
  lastAt: number;
}

export function emptyFleetPending(): FleetPending {
  return { ids: new Set(), all: false, status: false, state: false, membership: false, lastAt: 0 };
}

export function collectFleetChange(pending: FleetPending, change: FleetChange): void {
  if (change.entity === "node" || change.entity === "node-event") pending.lastAt = performance.now();
  if (change.entity === "node") {
    if (change.what === "enrolled" || change.what === "revoked") pending.membership = true;
    else if (change.what === "state") pending.state = true;
    else pending.status = true;
    if (change.status) pending.status = true;
    addId(pending, change.id);
  } else if (change.entity === "node-event") {
    // A reboot record arrives as an event: only the row's "last reboot" can change, and only on the page.
    addId(pending, change.nodeId);
  }
  // Commands and rollouts are not on the fleet page.
}

function addId(pending: FleetPending, id: string) {
  if (pending.all) return;
  pending.ids.add(id);
  if (pending.ids.size > MAX_PENDING_IDS) {
    pending.all = true;
    pending.ids.clear();
  }
}

const isDirty = (p: FleetPending) => p.all || p.membership || p.status || p.state || p.ids.size > 0;

/**
 * Which parts of the page what is pending can change: its rows (a changed
 * node on it, or a change in what it filters or sorts by, which may move
 * nodes in or out), and its counts (any status or state change, or the
 * fleet's membership). A reboot record of a node on another page changes
 * neither.
 */
export function fleetImpact(
  query: FleetQuery,
  pageIds: ReadonlySet<string>,
  pending: FleetPending,
): { rows: boolean; counts: boolean } {
  if (pending.all || pending.membership) return { rows: true, counts: true };
  const counts = pending.status || pending.state;
  const onPage = [...pending.ids].some((id) => pageIds.has(id));
  const byStatus = query.status !== undefined || query.sort === "status" || query.sort === "lastSeen";
  const byState =
    query.image !== undefined ||
    query.label !== undefined ||
    query.sort === "image" ||
    query.sort === "softReboots" ||
    query.sort === "lastSeen";
  const rows = onPage || (pending.status && byStatus) || (pending.state && byState);
  return { rows, counts };
}

/**
 * The fleet page's subscription: a snapshot first, then deltas of its rows
 * and counts. Reads are shared with the process's other fleet pages (the
 * totals by all of them, a page's rows and matches by those showing the same
 * query) when they started after this page's last change arrived.
 */
export function fleetTopic(db: Tx, query: FleetQuery): Topic<FleetPending, FleetMessage> {
  let last: FleetPage | null = null;
  const key = JSON.stringify(query);
  const read = async (since: number, rows: boolean, counts: boolean): Promise<FleetPage> => {
    const [pageRows, totals, matching] = await Promise.all([
      rows || !last ? sharedRead(`rows:${key}`, since, () => readFleetRows(db, query)) : last.rows,
      counts || !last ? sharedRead("totals", since, () => readFleetTotals(db)) : null,
      (counts || !last) && isFiltered(query)
        ? sharedRead(`matching:${key}`, since, () => readMatching(db, query))
        : null,
    ]);
    const fleetCounts = totals === null ? last!.counts : { ...totals, matching: matching ?? totals.total };
    return { rows: pageRows, counts: fleetCounts };
  };
  return {
    empty: emptyFleetPending,
    collect: collectFleetChange,
    dirty: isDirty,
    async compute(pending) {
      if (pending === "start" || last === null) {
        // A new page reads its own: a shared read may predate changes it never heard of.
        last = await read(performance.now(), true, true);
        return { kind: "snapshot", page: last };
      }
      const impact = fleetImpact(query, new Set(last.rows.map((row) => row.id)), pending);
      if (!impact.rows && !impact.counts) return null;
      const next = await read(pending.lastAt, impact.rows, impact.counts);
      const delta = fleetDelta(last, next);
      last = next;
      return delta ? { kind: "delta", delta } : null;
    },
  };
}
