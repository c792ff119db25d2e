import { type Db, Prisma } from "@softfleet/db";
import { type Interval, settledBuckets } from "./buckets";
import { groupNodesSql, groupScopesSql, inGroupOf, scopeOf, scopeSql, staleOf } from "./scope";
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

/**
 * Values kept on each side of a percentile's rank, at least: a report's edges
 * (up to about two days) may add this many values to a breakdown. A busier
 * breakdown keeps three of its average days' worth.
 */
export const SPAN_WINDOW = 10_000;

/** Ranges shorter than this get no span: their records are few, and computed live. */
const MIN_SPAN_DAYS = 7;

/**
 * Spans kept at most per scope (the most recently computed): the whole fleet's
 * are a few MB each, a group's a part of that.
 */
const SPANS_KEPT = 8;

const DAY_MS = 86_400_000;
const LOCK_CLASS = 20_261_127;

/** The range's settled span: its whole days that ended over an hour ago (null when under a week). */
export function settledSpan(range: Interval, now: Date): Interval | null {
  const days = settledBuckets(range, "day", now);
  if (days.length < MIN_SPAN_DAYS) return null;
  return { from: days[0]!, to: new Date(days.at(-1)!.getTime() + DAY_MS) };
}

/** A span of one scope (scope.ts): the whole fleet's, or one group's. */
export interface ScopedSpan extends Interval {
  scope: string;
}

/** Whether the snapshot of `db` has the span kept. */
export async function spanKept(db: Sql, span: ScopedSpan): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM "ReportSpan" s WHERE s."from" = ${span.from} AND s."to" = ${span.to} AND s.scope = ${span.scope}`;
  return rows.length > 0;
}

/** The condition on ReportSpan k (or ReportSpanValues) that picks the span. */
export const spanIs = (alias: string, span: ScopedSpan) => {
  const k = Prisma.raw(alias);
  return Prisma.sql`${k}."from" = ${span.from} AND ${k}."to" = ${span.to} AND ${k}.scope = ${span.scope}`;
};

/**
 * A window of an ascending array (of a span of `days`) around the rank of
 * `fraction`: the 0-based subscript of its start, and the values.
 */
const windowOf = (array: string, fraction: number, days: number) => {
  const size = `COALESCE(cardinality(${array}), 0)`;
  const center = `floor(${fraction}::float8 * (${size} - 1))::int`;
  const reach = `GREATEST(${SPAN_WINDOW}, ceil(3 * ${size} / ${days}::float8)::int)`;
  const lo = `GREATEST(0, ${center} - ${reach})`;
  const hi = `LEAST(${size} - 1, ${center} + ${reach} + 1)`;
  return { lo, values: `COALESCE(${array}[(${lo}) + 1 : (${hi}) + 1], '{}'::float8[])` };
};

/**
 * Computes and keeps the span (of the whole fleet, or of one group: scope.ts),
 * unless kept already or a record of its days is being written (it then stays
 * live this time). `records` gives the span's reboots (the report's range scan
 * over the span's interval, of the group's nodes). Keeps at most SPANS_KEPT
 * spans per scope, the most recently computed, and forgets a group's spans of
 * an earlier fingerprint.
 */
export async function fillSpan(
  db: Pick<Db, "$transaction" | "$queryRaw">,
  span: Interval,
  records: Prisma.Sql,
  groupId?: string | null,
  /** The group's scope now (scope.ts), when the caller has read it already. */
  scope?: string,
): Promise<boolean> {
  if (await spanKept(db, { ...span, scope: scope ?? (await scopeOf(db, groupId)) })) return false;
  const days = Math.round((span.to.getTime() - span.from.getTime()) / DAY_MS);
  const firstDay = Math.round(span.from.getTime() / DAY_MS);
  const arrays = Prisma.raw(PHASES.map((p) => `${sortedValues(`r."${p}"`).sql} AS "${p}"`).join(",\n"));
  const phaseRows = Prisma.raw(PHASES.map((p) => `('${p}', t."${p}")`).join(", "));
  const counts = Prisma.sql`count(*)::int AS reboots, count(*) FILTER (WHERE r."beforeLost")::int AS "beforeLost",
    count(*) FILTER (WHERE r.escalated)::int AS escalated`;
  const w50 = windowOf("v.a", 0.5, days);
  const w95 = windowOf("v.a", 0.95, days);
  return db.$transaction(
    async (tx) => {
      const [{ free }] = await tx.$queryRaw<[{ free: boolean }]>`
        SELECT bool_and(pg_try_advisory_xact_lock(${LOCK_CLASS}::int, d)) AS free
        FROM generate_series(${firstDay}::int, ${firstDay + days - 1}::int) d`;
      if (!free) return false;
      // The per-group breakdown joins the records to the groups' nodes, which the planner guesses at
      // ~100 per label group: without this it probes each node's records (see groupsPart).
      if (!groupId) await tx.$queryRaw`SELECT set_config('enable_nestloop', 'off', true)`;
      await tx.$executeRaw`
        WITH r AS NOT MATERIALIZED (${records}),
        t AS MATERIALIZED (SELECT r."rebootType", ${counts}, ${arrays} FROM r GROUP BY r."rebootType"),
        i AS MATERIALIZED (
          SELECT r."imageVersionAfter" AS "imageVersion", r."rebootType", ${counts}, ${sortedValues('r."totalMs"')} AS a
          FROM r GROUP BY r."imageVersionAfter", r."rebootType"
        ),
        g AS MATERIALIZED (
          SELECT x.name, softfleet_sorted(array_agg(x."gapMs")) AS a FROM "RebootUnit" x
          WHERE x."recordedAt" >= ${span.from} AND x."recordedAt" < ${span.to}
            AND x."rebootType" = 'soft-reboot' AND x."gapMs" IS NOT NULL ${inGroupOf(groupId, "x")}
          GROUP BY x.name
        ),
        ${groupsCtes(groupId)},
        kept AS (
          INSERT INTO "ReportSpan" ("from", "to", scope, types, images, groups)
          SELECT ${span.from}, ${span.to}, ${scopeSql(groupId)},
            COALESCE((SELECT jsonb_agg(jsonb_build_object('rebootType', t."rebootType", 'reboots', t.reboots,
              'beforeLost', t."beforeLost", 'escalated', t.escalated)) FROM t), '[]'::jsonb),
            COALESCE((SELECT jsonb_agg(jsonb_build_object('imageVersion', i."imageVersion", 'rebootType', i."rebootType",
              'reboots', i.reboots, 'beforeLost', i."beforeLost", 'escalated', i.escalated)) FROM i), '[]'::jsonb),
            COALESCE((SELECT jsonb_agg(jsonb_build_object('scope', gs.scope, 'counts',
              COALESCE((SELECT jsonb_agg(jsonb_build_object('rebootType', gt."rebootType", 'reboots', gt.reboots,
                'beforeLost', gt."beforeLost", 'escalated', gt.escalated)) FROM gt WHERE gt.scope = gs.scope), '[]'::jsonb)))
              FROM gs), '[]'::jsonb)
          ON CONFLICT DO NOTHING
          RETURNING scope
        ),
        v AS (
          SELECT 'type' AS dimension, NULL::text AS key, t."rebootType", p.phase, p.a
          FROM t CROSS JOIN LATERAL (VALUES ${phaseRows}) AS p(phase, a)
          UNION ALL
          SELECT 'image', i."imageVersion", i."rebootType", 'totalMs', i.a FROM i
          UNION ALL
          SELECT 'service', g.name, 'soft-reboot', 'gapMs', g.a FROM g
          UNION ALL
          SELECT 'group', gt.scope, gt."rebootType", 'totalMs', gt.a FROM gt
        )
        INSERT INTO "ReportSpanValues"
          ("from", "to", scope, dimension, key, "rebootType", phase, n, max, lo50, w50, lo95, w95, sorted)
        SELECT ${span.from}, ${span.to}, (SELECT scope FROM kept), v.dimension, v.key, v."rebootType", v.phase, COALESCE(cardinality(v.a), 0),
          v.a[cardinality(v.a)], ${Prisma.raw(w50.lo)}, ${Prisma.raw(w50.values)}, ${Prisma.raw(w95.lo)},
          ${Prisma.raw(w95.values)},
          CASE WHEN v.dimension = 'type' AND v.phase = 'totalMs' THEN COALESCE(v.a, '{}'::float8[]) ELSE '{}'::float8[] END
        FROM v WHERE EXISTS (SELECT 1 FROM kept)`;
      await tx.$executeRaw`
        DELETE FROM "ReportSpan" s WHERE ${staleOf("s.scope", groupId, scopeSql(groupId))}
          OR (s."from", s."to", s.scope) IN (
            SELECT k."from", k."to", k.scope FROM (
              SELECT k."from", k."to", k.scope,
                row_number() OVER (PARTITION BY k.scope ORDER BY k."computedAt" DESC, k."from" DESC) AS rank
              FROM "ReportSpan" k) k
            WHERE k.rank > ${SPANS_KEPT})`;
      return true;
    },
    { timeout: 60_000 },
  );
}

/**
 * The whole fleet's span keeps each group's breakdown too, under the group's
 * scope (its id and nodes' fingerprint, as in the statement): gs, every group
 * with nodes; gt, per group and type, the counts and sorted totals. A group's
 * span keeps none (both empty).
 */
function groupsCtes(groupId: string | null | undefined): Prisma.Sql {
  if (groupId) {
    return Prisma.sql`gs AS (SELECT NULL::text AS scope WHERE false),
      gt AS (SELECT NULL::text AS scope, NULL::text AS "rebootType", 0 AS reboots, 0 AS "beforeLost", 0 AS escalated,
        '{}'::float8[] AS a WHERE false)`;
  }
  return Prisma.sql`gm AS MATERIALIZED (${groupNodesSql()}),
    gs AS MATERIALIZED (${groupScopesSql(Prisma.sql`SELECT * FROM gm`)}),
    gt AS MATERIALIZED (
      SELECT gs.scope, r."rebootType", count(*)::int AS reboots, count(*) FILTER (WHERE r."beforeLost")::int AS "beforeLost",
        count(*) FILTER (WHERE r.escalated)::int AS escalated, ${sortedValues('r."totalMs"')} AS a
      FROM r JOIN gm ON gm."nodeId" = r."nodeId" JOIN gs ON gs."groupId" = gm."groupId"
      GROUP BY gs.scope, r."rebootType"
    )`;
}

/**
 * One breakdown's figures from the span and the range's edges: per key (null
 * for the types), reboot type and phase, the count n, max, p50 and p95 (ok:
 * the windows held their ranks), with the span's every value (`sorted`, the
 * types' totals) and the edges' (`live`). `live` gives rows (key, "rebootType",
 * phase, a) with `a` the edges' values in ascending order.
 */
export function mergedSql(
  span: ScopedSpan,
  dimension: "type" | "image" | "service" | "group",
  live: Prisma.Sql,
): Prisma.Sql {
  const n = "(j.sn + j.ln)";
  return Prisma.sql`
    SELECT j.key, j."rebootType", j.phase, ${Prisma.raw(n)} AS n, j.max,
      ${Prisma.raw(mergedPercentile("j.m50", "j.lo50", n, 0.5))} AS p50,
      ${Prisma.raw(mergedPercentile("j.m95", "j.lo95", n, 0.95))} AS p95,
      ${Prisma.raw(spanOk("j.w50", "j.lo50", "j.sn", "j.ln", 0.5))}
        AND ${Prisma.raw(spanOk("j.w95", "j.lo95", "j.sn", "j.ln", 0.95))} AS ok,
      j.sorted, j.live
    FROM (
      SELECT COALESCE(v.key, l.key) AS key, COALESCE(v."rebootType", l."rebootType") AS "rebootType",
        COALESCE(v.phase, l.phase) AS phase, COALESCE(v.n, 0) AS sn, COALESCE(cardinality(l.a), 0) AS ln,
        GREATEST(v.max, l.a[cardinality(l.a)]) AS max,
        COALESCE(v.lo50, 0) AS lo50, COALESCE(v.w50, '{}'::float8[]) AS w50,
        softfleet_sorted(COALESCE(v.w50, '{}'::float8[]) || COALESCE(l.a, '{}'::float8[])) AS m50,
        COALESCE(v.lo95, 0) AS lo95, COALESCE(v.w95, '{}'::float8[]) AS w95,
        softfleet_sorted(COALESCE(v.w95, '{}'::float8[]) || COALESCE(l.a, '{}'::float8[])) AS m95,
        COALESCE(v.sorted, '{}'::float8[]) AS sorted, COALESCE(l.a, '{}'::float8[]) AS live
      FROM (
        SELECT v.*, COALESCE(v.key, chr(1)) AS k FROM "ReportSpanValues" v
        WHERE ${spanIs("v", span)} AND v.dimension = ${dimension}
      ) v
      FULL JOIN (SELECT l.*, COALESCE(l.key, chr(1)) AS k FROM (${live}) l) l
        ON l.k = v.k AND l."rebootType" = v."rebootType" AND l.phase = v.phase
      -- Not flattened: each window is merged and sorted once, not once per reference.
      OFFSET 0
    ) j`;
}

/**
 * p50 or p95 (`fraction`) of a kept window merged with the edges' values, with
 * percentile_cont's arithmetic: n counts the span's and the edges' values, the
 * ranks are those of all of them, read in the sorted window from its start
 * `lo`. Valid when the window reaches far enough on both sides (see `spanOk`).
 */
export function mergedPercentile(m: string, lo: string, n: string, fraction: number): string {
  // float8, as percentile_cont computes the rank (a numeric literal would compute it exactly, and differ).
  const h = `(${fraction}::float8 * (${n} - 1))`;
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
  const h = `(${fraction}::float8 * (${n} - 1))`;
  return `(${n} = 0 OR ((${lo} = 0 OR floor(${h}) - ${lo} >= ${ln})
    AND (${lo} + cardinality(${w}) = ${sn} OR ceil(${h}) <= ${lo} + cardinality(${w}) - 1)))`;
}
