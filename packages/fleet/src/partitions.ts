import type { Sql } from "./reports/sql";

/**
 * Agent events, reboot records and their units are partitioned by month (UTC)
 * of their arrival (migration 20261205010000_monthly_partitions). The months
 * are made ahead of need, and retention drops whole months: no row-by-row
 * delete, no bloat, and the time it takes does not grow with the rows.
 */

/** Months created ahead of the current one: a control process down for weeks still finds its month there. */
export const MONTHS_AHEAD = 3;

const DAY_MS = 86_400_000;

/** The first instant (UTC) of the month `offset` months from the one holding `t`. */
export function monthStart(t: Date, offset = 0): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + offset, 1));
}

/** The months from the current one to MONTHS_AHEAD ahead, those missing created. Returns how many tables it created. */
export function ensurePartitions(db: Sql, now = new Date()): Promise<number> {
  return ensurePartitionsFor(db, now, monthStart(now, MONTHS_AHEAD));
}

/** The months from `from` to `to` (both included), those missing created: for loading history (benchmarks, imports). */
export async function ensurePartitionsFor(db: Sql, from: Date, to: Date): Promise<number> {
  const [row] = await db.$queryRaw<[{ created: number }]>`
    SELECT "softfleet_ensure_partitions"(${monthStart(from)}::timestamp, ${monthStart(to)}::timestamp) AS created`;
  return row.created;
}

/**
 * The time before which retention drops: `retentionDays` before now. Only
 * months that ended by then go, so between retentionDays and retentionDays plus
 * a month of history is kept.
 */
export function retentionCutoff(retentionDays: number, now = new Date()): Date {
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

/** Drops every month of events, records and units that ended before the retention's cutoff. Returns the tables dropped. */
export async function dropExpiredPartitions(db: Sql, retentionDays: number, now = new Date()): Promise<string[]> {
  const [row] = await db.$queryRaw<[{ dropped: string[] }]>`
    SELECT "softfleet_drop_partitions_before"(${retentionCutoff(retentionDays, now)}::timestamp) AS dropped`;
  return row.dropped;
}

/** The months there are, oldest first, as "YYYY-MM" (each holds events, records and units). */
export async function partitionMonths(db: Sql): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ month: string }>>`
    SELECT to_char(to_date(right(c.relname, 6), 'YYYYMM'), 'YYYY-MM') AS month
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = '"RebootRecord"'::regclass
    ORDER BY 1`;
  return rows.map((r) => r.month);
}
