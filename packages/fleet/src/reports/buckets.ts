import { type Db, Prisma } from "@softfleet/db";
import { scopeOf, scopeSql, staleOf } from "./scope";
import type { Sql } from "./sql";

/**
 * Settled buckets of the fleet report (table ReportBucket, migration
 * 20261127060000_report_buckets). Records are stamped when they arrive, so a
 * day (or week) that ended over an hour ago gains no more of them: its trend
 * points and its services' outcome counts are computed once and kept. A report
 * computes live only the parts of its range outside the buckets its snapshot
 * sees kept; triggers forget a bucket whenever one of its records is written.
 */

export type Bucket = "day" | "week";

const DAY_MS = 86_400_000;
const BUCKET_MS: Record<Bucket, number> = { day: DAY_MS, week: 7 * DAY_MS };

/** How long after its end a bucket is settled: longer than any transaction writing records stays open. */
export const SETTLE_MS = 3_600_000;

/** The advisory lock class of the buckets' days (the migration's triggers take it shared, per day). */
const LOCK_CLASS = 20_261_127;

export interface Interval {
  from: Date;
  to: Date;
}

/** The start of the bucket holding `t` (UTC; weeks start on Monday, as date_trunc's). */
export function bucketStart(t: Date, bucket: Bucket): Date {
  const day = Math.floor(t.getTime() / DAY_MS) * DAY_MS;
  if (bucket === "day") return new Date(day);
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * DAY_MS);
}

/** The whole buckets inside the range that ended at least SETTLE_MS before `now`: the ones a report may keep. */
export function settledBuckets(range: Interval, bucket: Bucket, now: Date): Date[] {
  const size = BUCKET_MS[bucket];
  let at = bucketStart(range.from, bucket).getTime();
  if (at < range.from.getTime()) at += size;
  const end = Math.min(range.to.getTime(), now.getTime() - SETTLE_MS);
  const buckets: Date[] = [];
  for (; at + size <= end; at += size) buckets.push(new Date(at));
  return buckets;
}

/** The parts of the range outside the kept buckets, in order, adjacent parts merged. */
export function liveIntervals(range: Interval, bucket: Bucket, kept: Date[]): Interval[] {
  const size = BUCKET_MS[bucket];
  const starts = kept
    .map((at) => at.getTime())
    .filter((at) => at >= range.from.getTime() && at + size <= range.to.getTime())
    .sort((a, b) => a - b);
  const live: Interval[] = [];
  let cursor = range.from.getTime();
  for (const at of starts) {
    if (at > cursor) live.push({ from: new Date(cursor), to: new Date(at) });
    cursor = Math.max(cursor, at + size);
  }
  if (cursor < range.to.getTime()) live.push({ from: new Date(cursor), to: range.to });
  return live;
}

/** Buckets as a timestamp[] parameter (ISO text: a timestamp without time zone ignores the Z). */
const timestamps = (dates: Date[]) => Prisma.sql`${dates.map((d) => d.toISOString())}::timestamp[]`;

/** The kept buckets of the range (of the scope: scope.ts), as the snapshot of `db` sees them. */
export async function keptBuckets(db: Sql, range: Interval, bucket: Bucket, scope: string): Promise<Date[]> {
  const rows = await db.$queryRaw<Array<{ at: Date }>>`
    SELECT c.at FROM "ReportBucket" c
    WHERE c.bucket = ${bucket} AND c.scope = ${scope} AND c.at >= ${range.from} AND c.at <= ${new Date(range.to.getTime() - BUCKET_MS[bucket])}
    ORDER BY c.at`;
  return rows.map((row) => row.at);
}

/**
 * Computes and keeps the settled buckets of the range (of the whole fleet, or
 * of one group: scope.ts) not kept yet; returns how many it kept. A group's
 * buckets of an earlier fingerprint are forgotten. `facts` gives, for rows
 * over the intervals, each bucket's trend points and services counts (the
 * same SQL a report runs over its live intervals). The buckets' days must be free: it takes them exclusively
 * (advisory locks, which a writer of their records holds shared until it
 * commits) and reads in a statement that starts after that, so no record of
 * them can be in flight. Should a writer hold one, it keeps nothing this time
 * rather than wait (the report computes those buckets live).
 */
export async function fillBuckets(
  db: Pick<Db, "$transaction" | "$queryRaw">,
  range: Interval,
  bucket: Bucket,
  facts: (intervals: Interval[]) => Prisma.Sql,
  groupId?: string | null,
  /** The group's scope now (scope.ts), when the caller has read it already. */
  known?: string,
): Promise<number> {
  const settled = settledBuckets(range, bucket, new Date());
  if (settled.length === 0) return 0;
  const scope = known ?? (await scopeOf(db, groupId));
  const missing = (
    await db.$queryRaw<Array<{ at: Date }>>`
      SELECT w.at FROM unnest(${timestamps(settled)}) w(at)
      WHERE NOT EXISTS (
        SELECT 1 FROM "ReportBucket" c WHERE c.bucket = ${bucket} AND c.at = w.at AND c.scope = ${scope})
      ORDER BY w.at`
  ).map((row) => row.at);
  if (missing.length === 0) return 0;
  const days = BUCKET_MS[bucket] / DAY_MS;
  // The missing buckets as few intervals: their span without the buckets kept inside it.
  const span = { from: missing[0]!, to: new Date(missing.at(-1)!.getTime() + BUCKET_MS[bucket]) };
  const intervals = liveIntervals(span, bucket, complement(missing, bucket));
  return db.$transaction(
    async (tx) => {
      const [{ free }] = await tx.$queryRaw<[{ free: boolean }]>`
        SELECT COALESCE(bool_and(pg_try_advisory_xact_lock(${LOCK_CLASS}::int, d.day)), true) AS free FROM (
          SELECT DISTINCT (floor(extract(epoch FROM m.at) / 86400) + k)::int AS day
          FROM unnest(${timestamps(missing)}) m(at) CROSS JOIN generate_series(0, ${days - 1}::int) k
          ORDER BY 1) d`;
      if (!free) return 0;
      await tx.$executeRaw`DELETE FROM "ReportBucket" c WHERE ${staleOf("c.scope", groupId, scopeSql(groupId))}`;
      // The scope is read in the statement that reads the records: the fingerprint of the nodes they are of.
      return tx.$executeRaw`
        INSERT INTO "ReportBucket" (bucket, at, scope, trend, services)
        SELECT ${bucket}, m.at, s.scope, COALESCE(f.trend, '[]'::jsonb), COALESCE(f.services, '[]'::jsonb)
        FROM unnest(${timestamps(missing)}) m(at) CROSS JOIN (SELECT ${scopeSql(groupId)} AS scope) s
        LEFT JOIN (${facts(intervals)}) f ON f.at = m.at
        ON CONFLICT DO NOTHING`;
    },
    { timeout: 60_000 },
  );
}

/** The buckets between the first and last of `buckets` that are not among them. */
function complement(buckets: Date[], bucket: Bucket): Date[] {
  const size = BUCKET_MS[bucket];
  const have = new Set(buckets.map((at) => at.getTime()));
  const others: Date[] = [];
  for (let at = buckets[0]!.getTime(); at <= buckets.at(-1)!.getTime(); at += size) {
    if (!have.has(at)) others.push(new Date(at));
  }
  return others;
}
