import { type Db, Prisma } from "@softfleet/db";
import { type Interval, settledBuckets } from "./buckets";
import { PHASES, type Sql, sortedValues } from "./sql";

/**
 * The settled span of a fleet report (tables ReportSpan and ReportSpanValues,
 * migration 20261127070000_report_spans): the whole days of its range that
 * ended over an hour ago, as one block. Their records no longer change (a
 * write to one forgets the span), so the per-type figures keep, per phase, the
 * count, the maximum and the sorted values in a window around the ranks of
 * p50 and p95 (for the total, every value: the histogram counts them). A
 * report adds the reboots of its edges (the start of its first day, the last
 * hours) and sorts only a window and those to get the exact percentiles.
 */

/** Values kept on each side of a percentile's rank: a report's edges may add up to this many reboots of a type. */
export const SPAN_WINDOW = 10_000;

/** Ranges shorter than this get no span: their records are few, and computed live. */
const MIN_SPAN_DAYS = 7;

/** Spans kept at most (the most recently computed); each is a few MB. */
const SPANS_KEPT = 8;

const DAY_MS = 86_400_000;
const LOCK_CLASS = 20_261_127;

/** The range's settled span: its whole days that ended over an hour ago (null when under a week). */
export function settledSpan(range: Interval, now: Date): Interval | null {
  const days = settledBuckets(range, "day", now);
  if (days.length < MIN_SPAN_DAYS) return null;
  return { from: days[0]!, to: new Date(days.at(-1)!.getTime() + DAY_MS) };
}

/** Whether the snapshot of `db` has the span kept. */
export async function spanKept(db: Sql, span: Interval): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM "ReportSpan" s WHERE s."from" = ${span.from} AND s."to" = ${span.to}`;
  return rows.length > 0;
}

/** A window of an ascending array around the rank of `fraction` (0-based subscript of its start, and the values). */
const windowOf = (array: string, fraction: number) => {
  const center = `floor(${fraction} * (COALESCE(cardinality(${array}), 0) - 1))::int`;
  const lo = `GREATEST(0, ${center} - ${SPAN_WINDOW})`;
  const hi = `LEAST(COALESCE(cardinality(${array}), 0) - 1, ${center} + ${SPAN_WINDOW} + 1)`;
  return { lo, values: `COALESCE(${array}[(${lo}) + 1 : (${hi}) + 1], '{}'::float8[])` };
};

/**
 * Computes and keeps the span, unless kept already or a record of its days is
 * being written (it then stays live this time). `records` gives the span's
 * reboots (the report's range scan over the span's interval). Keeps at most
 * SPANS_KEPT spans, the most recently computed.
 */
export async function fillSpan(
  db: Pick<Db, "$transaction" | "$queryRaw">,
  span: Interval,
  records: Prisma.Sql,
): Promise<boolean> {
  const kept = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM "ReportSpan" s WHERE s."from" = ${span.from} AND s."to" = ${span.to}`;
  if (kept.length > 0) return false;
  const days = Math.round((span.to.getTime() - span.from.getTime()) / DAY_MS);
  const firstDay = Math.round(span.from.getTime() / DAY_MS);
  const arrays = Prisma.raw(PHASES.map((p) => `${sortedValues(`r."${p}"`).sql} AS "${p}"`).join(",\n"));
  const phaseRows = Prisma.raw(PHASES.map((p) => `('${p}', t."${p}")`).join(", "));
  const w50 = windowOf("v.a", 0.5);
  const w95 = windowOf("v.a", 0.95);
  return db.$transaction(
    async (tx) => {
      const [{ free }] = await tx.$queryRaw<[{ free: boolean }]>`
        SELECT bool_and(pg_try_advisory_xact_lock(${LOCK_CLASS}::int, d)) AS free
        FROM generate_series(${firstDay}::int, ${firstDay + days - 1}::int) d`;
      if (!free) return false;
      await tx.$executeRaw`
        WITH r AS NOT MATERIALIZED (${records}),
        t AS MATERIALIZED (
          SELECT r."rebootType", count(*)::int AS reboots, count(*) FILTER (WHERE r."beforeLost")::int AS "beforeLost",
            count(*) FILTER (WHERE r.escalated)::int AS escalated, ${arrays}
          FROM r GROUP BY r."rebootType"
        ),
        kept AS (
          INSERT INTO "ReportSpan" ("from", "to", types)
          SELECT ${span.from}, ${span.to}, COALESCE(jsonb_agg(jsonb_build_object('rebootType', t."rebootType",
            'reboots', t.reboots, 'beforeLost', t."beforeLost", 'escalated', t.escalated)), '[]'::jsonb)
          FROM t
          ON CONFLICT DO NOTHING
          RETURNING 1
        )
        INSERT INTO "ReportSpanValues" ("from", "to", "rebootType", phase, n, max, lo50, w50, lo95, w95, sorted)
        SELECT ${span.from}, ${span.to}, v."rebootType", v.phase, COALESCE(cardinality(v.a), 0), v.a[cardinality(v.a)],
          ${Prisma.raw(w50.lo)}, ${Prisma.raw(w50.values)}, ${Prisma.raw(w95.lo)}, ${Prisma.raw(w95.values)},
          CASE WHEN v.phase = 'totalMs' THEN COALESCE(v.a, '{}'::float8[]) ELSE '{}'::float8[] END
        FROM (SELECT t."rebootType", p.phase, p.a FROM t CROSS JOIN LATERAL (VALUES ${phaseRows}) AS p(phase, a)) v
        WHERE EXISTS (SELECT 1 FROM kept)`;
      await tx.$executeRaw`
        DELETE FROM "ReportSpan" s WHERE (s."from", s."to") NOT IN (
          SELECT k."from", k."to" FROM "ReportSpan" k ORDER BY k."computedAt" DESC, k."from" DESC LIMIT ${SPANS_KEPT})`;
      return true;
    },
    { timeout: 60_000 },
  );
}

/**
 * p50 or p95 (`fraction`) of a kept window merged with the edges' values, with
 * percentile_cont's arithmetic: n counts the span's and the edges' values, the
 * ranks are those of all of them, read in the sorted window from its start
 * `lo`. Valid when the window reaches far enough on both sides (see `spanOk`).
 */
export function mergedPercentile(m: string, lo: string, n: string, fraction: number): string {
  const h = `(${fraction} * (${n} - 1))`;
  const at = (rank: string) => `${m}[${rank}::int - ${lo} + 1]`;
  return `CASE WHEN ${n} = 0 THEN NULL
    WHEN floor(${h}) = ceil(${h}) THEN ${at(`floor(${h})`)}
    ELSE ${at(`floor(${h})`)} + (${h} - floor(${h})) * (${at(`ceil(${h})`)} - ${at(`floor(${h})`)}) END`;
}

/**
 * Whether the window (starting at subscript `lo`, `w` values, of a span of `sn`)
 * holds the merged ranks of `fraction`: every span value below it is below them
 * (it starts at 0, or the ranks are at least the edges' count `ln` past its
 * start), and every one above it is above them.
 */
export function spanOk(w: string, lo: string, sn: string, ln: string, fraction: number): string {
  const n = `(${sn} + ${ln})`;
  const h = `(${fraction} * (${n} - 1))`;
  return `(${n} = 0 OR ((${lo} = 0 OR floor(${h}) - ${lo} >= ${ln})
    AND (${lo} + cardinality(${w}) = ${sn} OR ceil(${h}) <= ${lo} + cardinality(${w}) - 1)))`;
}
