import { type Db, Prisma } from "@softfleet/db";
import { type Bucket, fillBuckets, type Interval, keptBuckets, liveIntervals } from "./buckets";
import { type ClientGapRow, clientGapStatsByImage, type PayloadStats, payloadStatsOf } from "./payloads";
import { groupNodesSql, groupScopesSql, inGroupOf, scopeOf } from "./scope";
import type { ServiceRow } from "./services";
import { fillSpan, mergedSql, type ScopedSpan, settledSpan, spanIs, spanKept } from "./spans";
import {
  arrayStatColumns,
  type HistogramBucket,
  niceStepSql,
  PHASES,
  type PhaseStat,
  type PhaseStats,
  phaseColumns,
  phaseStatsOf,
  type RebootRow,
  type RebootType,
  type Sql,
  type StatRow,
  sortedValues,
  type TotalRow,
  totalStatOf,
  withoutStats,
} from "./sql";

export interface ReportRange {
  from: Date;
  to: Date;
  /** Only the nodes of this group (its static members and those its label selector matches, as of now). */
  groupId?: string | null;
}

const inGroup = (range: ReportRange, alias: string) => inGroupOf(range.groupId, alias);

/** The reboots recorded in the range (of the group's nodes), with their phases. */
export function rebootsSql(range: ReportRange): Prisma.Sql {
  return Prisma.sql`
    SELECT r.id AS "recordId", r."nodeId", n.hostname, n.simulated, r."recordedAt", r.kind, r.requested, r.escalated,
      r."beforeLost", r.trigger, r."imageVersionBefore", r."imageVersionAfter", r."commandId", ${phaseColumns}
    FROM "RebootRecord" r JOIN "Node" n ON n.id = r."nodeId"
    WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to} ${inGroup(range, "r")}`;
}

/**
 * The payload facts of the range's records that have any (see payloads.ts):
 * the partial index RebootRecord_payloads_idx holds exactly these, and what
 * the figures need.
 */
const payloadFactsSql = (range: ReportRange) => Prisma.sql`
  SELECT r."nodeId", r."imageVersionAfter", r."survivorsTotal", r."survivorsKept", r."pinnedKb", r."pinnedHolders"
  FROM "RebootRecord" r
  WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to}
    AND (r."survivorsTotal" > 0 OR (r."pinnedKb" IS NOT NULL AND r."pinnedHolders" IS NOT NULL)) ${inGroup(range, "r")}`;

/** The range's probed payloads' gaps, one row per payload per reboot (RebootClientGap, kept by a trigger). */
const clientGapsSql = (range: ReportRange) => Prisma.sql`
  SELECT g."imageVersionAfter", g.name, g.ms, g.failed
  FROM "RebootClientGap" g
  WHERE g."recordedAt" >= ${range.from} AND g."recordedAt" < ${range.to} ${inGroup(range, "g")}`;

interface TypedStats {
  rebootType: RebootType;
  reboots: number;
  /** Reboots without a total (what is known of them is in the phases). */
  withoutTotal: number;
  beforeLost: number;
  escalated: number;
  phases: PhaseStats;
}

interface Counts {
  rebootType: RebootType;
  reboots: number;
  withoutTotal: number;
  beforeLost: number;
  escalated: number;
}
type StatsRow<K> = K & StatRow & Counts;
type TotalsRow<K> = K & TotalRow & Counts;

/** Counts of a group's reboots (its total's array gives "withoutTotal": the reboots not in it). */
const countColumns = Prisma.sql`count(*)::int AS reboots,
  count(*) FILTER (WHERE b."beforeLost")::int AS "beforeLost", count(*) FILTER (WHERE b.escalated)::int AS escalated`;

function typed<K extends object>(row: StatsRow<K>): K & TypedStats {
  const rest = withoutStats(row) as K & Omit<TypedStats, "phases">;
  return { ...rest, phases: phaseStatsOf(row) };
}

/** A breakdown's row with its total's figures (p50 / p95 / max; the phases are in the per-type figures). */
function totaled<K extends object>(row: TotalsRow<K>): K & Omit<TypedStats, "phases"> & { total: PhaseStat } {
  const rest = withoutStats(row) as K & Omit<TypedStats, "phases">;
  return { ...rest, total: totalStatOf(row) };
}

const DAY_MS = 86_400_000;

/** Day buckets up to four months, weeks beyond. */
export const trendBucketOf = (range: ReportRange): "day" | "week" =>
  range.to.getTime() - range.from.getTime() <= 122 * DAY_MS ? "day" : "week";

/** A timestamp as epoch ms in JSON (Prisma's timestamps are UTC). */
const epochMs = (column: string) => Prisma.raw(`(extract(epoch FROM ${column}) * 1000)::float8`);

interface TrendPoint {
  at: Date;
  dimension: "type" | "image";
  key: string | null;
  reboots: number;
  p50: number | null;
  p95: number | null;
}

interface SlowNode {
  nodeId: string;
  hostname: string;
  simulated: boolean;
  reboots: number;
  p50: number;
  p95: number;
  max: number;
}

type Json<T> = { [K in keyof T]: T[K] extends Date ? number : T[K] };

/** Memory for a statement's arrays and sorts (each phase of ~250k reboots is sorted in memory). */
const REPORT_WORK_MEM = "64MB";

/** A client that can open transactions of its own (the report then runs its statements concurrently). */
type Client = Sql & Pick<Db, "$transaction" | "$executeRaw">;

type Part<P, R> = (tx: Sql, prelude: P) => Promise<R>;

/**
 * Runs `prelude`, then `parts`, in one snapshot. Given a transaction, one after
 * the other in it; given a client, the parts run concurrently on their own
 * connections: their transactions import the snapshot the first one exported
 * (pg_export_snapshot), so all read the same data as one RepeatableRead
 * transaction would. A part that finds no connection free within 500 ms runs
 * in the first transaction after the others.
 */
async function inOneSnapshot<P, R extends unknown[]>(
  db: Sql | Client,
  prelude: (tx: Sql) => Promise<P>,
  parts: { [K in keyof R]: Part<P, R[K]> },
): Promise<[P, R]> {
  const all = parts as unknown as Array<Part<P, unknown>>;
  if (!("$transaction" in db)) {
    const p = await prelude(db);
    const results: unknown[] = [];
    for (const part of all) results.push(await part(db, p));
    return [p, results as R];
  }
  const options = { isolationLevel: "RepeatableRead" as const, timeout: 60_000 };
  return db.$transaction(async (tx) => {
    const [{ snapshot }] = await tx.$queryRaw<[{ snapshot: string }]>`SELECT pg_export_snapshot() AS snapshot`;
    if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
    let preluded!: (p: P) => void;
    let failed!: (error: unknown) => void;
    const preludeDone = new Promise<P>((resolve, reject) => {
      preluded = resolve;
      failed = reject;
    });
    preludeDone.catch(() => {});
    const others = all.slice(1).map((part) =>
      db
        .$transaction(
          async (tx2) => {
            await tx2.$executeRawUnsafe(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
            return part(tx2, await preludeDone);
          },
          { ...options, maxWait: 500 },
        )
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
    );
    let p: P;
    try {
      p = await prelude(tx);
      preluded(p);
    } catch (error) {
      failed(error);
      await Promise.all(others);
      throw error;
    }
    const results: unknown[] = [await all[0]!(tx, p)];
    for (const [i, outcome] of (await Promise.all(others)).entries()) {
      if ("result" in outcome) results.push(outcome.result);
      else if (isNoConnection(outcome.error)) results.push(await all[i + 1]!(tx, p));
      else throw outcome.error;
    }
    return [p, results as R];
  }, options);
}

/** Prisma's P2028: a transaction could not start (no connection free within maxWait). */
const isNoConnection = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2028";

/**
 * Memory for the arrays and sorts; and no parallel workers: the report's
 * statements already run side by side, and workers on top of them only
 * contend for the cores.
 */
const workMem = (db: Sql) =>
  db.$queryRaw`SELECT set_config('work_mem', ${REPORT_WORK_MEM}, true),
    set_config('max_parallel_workers_per_gather', '0', true)`;

const rangeColumns = Prisma.sql`r.id AS "recordId", r."nodeId", r."recordedAt", r."imageVersionAfter", r.escalated,
  r."beforeLost", ${phaseColumns}`;

/**
 * The reboots recorded in the intervals (of the range's group), one range scan
 * of the covering index on recordedAt per interval (index-only: the phases
 * are stored columns).
 */
function recordsIn(intervals: Interval[], range: ReportRange): Prisma.Sql {
  if (intervals.length === 0) return Prisma.sql`SELECT ${rangeColumns} FROM "RebootRecord" r WHERE false`;
  return Prisma.join(
    intervals.map(
      (i) => Prisma.sql`SELECT ${rangeColumns} FROM "RebootRecord" r
        WHERE r."recordedAt" >= ${i.from} AND r."recordedAt" < ${i.to} ${inGroup(range, "r")}`,
    ),
    " UNION ALL ",
  );
}

/** The units of the soft-reboots recorded in the intervals (of the range's group), from RebootUnit. */
function unitsIn(intervals: Interval[], range: ReportRange): Prisma.Sql {
  const columns = Prisma.sql`x."recordedAt", x.name, x.outcome`;
  if (intervals.length === 0) return Prisma.sql`SELECT ${columns} FROM "RebootUnit" x WHERE false`;
  return Prisma.join(
    intervals.map(
      (i) => Prisma.sql`SELECT ${columns} FROM "RebootUnit" x
        WHERE x."recordedAt" >= ${i.from} AND x."recordedAt" < ${i.to} AND x."rebootType" = 'soft-reboot'
          ${inGroup(range, "x")}`,
    ),
    " UNION ALL ",
  );
}

const bucketSql = (bucket: Bucket) => Prisma.raw(`'${bucket === "week" ? "week" : "day"}'`);

/**
 * The trend over the reboots of the intervals: per bucket, the count and the
 * total's p50 and p95 per type, and per image version for soft-reboots.
 */
const trendPointsSql = (intervals: Interval[], range: ReportRange, bucket: Bucket) => Prisma.sql`
  SELECT t.at, CASE WHEN grouping(t."imageVersionAfter") = 1 THEN 'type' ELSE 'image' END AS dimension,
    CASE WHEN grouping(t."imageVersionAfter") = 1 THEN t."rebootType" ELSE t."imageVersionAfter" END AS key,
    count(*)::int AS reboots,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY t."totalMs") AS p50,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY t."totalMs") AS p95
  FROM (SELECT date_trunc(${bucketSql(bucket)}, b."recordedAt") AS at, b."rebootType", b."imageVersionAfter", b."totalMs"
        FROM (${recordsIn(intervals, range)}) b) t
  GROUP BY GROUPING SETS ((t.at, t."rebootType"), (t.at, t."rebootType", t."imageVersionAfter"))
  HAVING grouping(t."imageVersionAfter") = 1 OR t."rebootType" = 'soft-reboot'`;

/** Per bucket and unit name, the outcomes of the units of the soft-reboots of the intervals. */
const serviceCountsSql = (intervals: Interval[], range: ReportRange, bucket: Bucket) => Prisma.sql`
  SELECT date_trunc(${bucketSql(bucket)}, u."recordedAt") AS at, u.name,
    count(*) FILTER (WHERE u.outcome = 'survived')::int AS survived,
    count(*) FILTER (WHERE u.outcome = 'restarted')::int AS restarted,
    count(*) FILTER (WHERE u.outcome = 'absent')::int AS absent,
    count(*) FILTER (WHERE u.outcome NOT IN ('survived', 'restarted', 'absent') OR u.outcome IS NULL)::int AS unknown
  FROM (${unitsIn(intervals, range)}) u
  GROUP BY 1, 2`;

/** What a settled bucket keeps (ReportBucket): per bucket of the intervals, its trend points and services counts. */
const bucketFactsSql = (intervals: Interval[], bucket: Bucket, groupId?: string | null) => {
  const whole: ReportRange = {
    from: intervals[0]?.from ?? new Date(0),
    to: intervals.at(-1)?.to ?? new Date(0),
    groupId,
  };
  return Prisma.sql`
    SELECT COALESCE(t.at, s.at) AS at, t.trend, s.services
    FROM (SELECT p.at, jsonb_agg(jsonb_build_object('dimension', p.dimension, 'key', p.key, 'reboots', p.reboots,
            'p50', p.p50, 'p95', p.p95)) AS trend
          FROM (${trendPointsSql(intervals, whole, bucket)}) p GROUP BY p.at) t
    FULL JOIN (SELECT c.at, jsonb_agg(jsonb_build_object('name', c.name, 'survived', c.survived,
            'restarted', c.restarted, 'absent', c.absent, 'unknown', c.unknown)) AS services
          FROM (${serviceCountsSql(intervals, whole, bucket)}) c GROUP BY c.at) s ON s.at = t.at`;
};

/** The kept buckets of a report's snapshot (of its scope), and the parts of its range it computes live. */
interface Split {
  /** Whose kept facts the report reads (scope.ts). */
  scope: string;
  kept: Date[];
  live: Interval[];
  /** The range's settled span, when the snapshot has it kept (spans.ts). */
  span: ScopedSpan | null;
  /** The report's group, when it is one group's (null when that group does not exist). */
  group: { id: string; name: string } | null;
}

const keptSql = (bucket: Bucket, split: Split) => Prisma.sql`
  SELECT k.* FROM "ReportBucket" k
  WHERE k.bucket = ${bucket} AND k.scope = ${split.scope}
    AND k.at = ANY(${split.kept.map((at) => at.toISOString())}::timestamp[])`;

/** The range's last 50 escalations (a CTE over the range's reboots `b`), and them as JSON rows. */
const escalationsCte = Prisma.sql`escalations AS (
  SELECT b."recordId", b."recordedAt" FROM b WHERE b.escalated ORDER BY b."recordedAt" DESC, b."recordId" DESC LIMIT 50
)`;
const escalationsJson = Prisma.sql`(SELECT json_agg(json_build_object('recordId', r.id, 'nodeId', r."nodeId",
    'hostname', n.hostname, 'simulated', n.simulated, 'recordedAt', ${epochMs('r."recordedAt"')},
    'rebootType', r."rebootType", 'kind', r.kind, 'requested', r.requested, 'escalated', r.escalated,
    'beforeLost', r."beforeLost", 'trigger', r.trigger, 'imageVersionBefore', r."imageVersionBefore",
    'imageVersionAfter', r."imageVersionAfter", 'signalToShutdownMs', r."signalToShutdownMs", 'shutdownMs', r."shutdownMs",
    'bootMs', r."bootMs", 'reconnectMs', r."reconnectMs", 'totalMs', r."totalMs")
    ORDER BY e."recordedAt" DESC, e."recordId" DESC)
  FROM escalations e JOIN "RebootRecord" r ON r.id = e."recordId" AND r."recordedAt" = e."recordedAt" JOIN "Node" n ON n.id = r."nodeId")`;

/** The histogram's step, from the largest total of the per-type `stats`. */
const stepCte = Prisma.sql`step AS (
  SELECT ${niceStepSql(Prisma.sql`top."maxTotal"`)} AS step
  FROM (SELECT max(s."totalMs:max") AS "maxTotal" FROM stats s) top
)`;

/** A types part's answer, from its stats, escalations, step and histogram CTEs. */
const typesColumns = Prisma.sql`(SELECT json_agg(s ORDER BY s."rebootType") FROM stats s) AS stats,
  ${escalationsJson} AS escalations,
  (SELECT step FROM step) AS "histogramStep",
  (SELECT json_agg(h ORDER BY h.bucket, h."rebootType") FROM histogram h) AS histogram`;

/**
 * The histogram bucket k of a value x: step * k <= x < step * (k + 1)
 * (floor(x / step), corrected where the division rounds across a boundary).
 */
const bucketOf = (x: string, step: string) => {
  const k = `floor(${x} / ${step})`;
  return `(CASE WHEN ${x} < ${k} * ${step} THEN ${k} - 1 WHEN ${x} >= (${k} + 1) * ${step} THEN ${k} + 1 ELSE ${k} END)::int`;
};

/**
 * The histogram CTE: each total of `values` (rows of "rebootType" and v) in
 * its bucket of the step, counted; one pass over the totals.
 */
const histogramCte = (values: Prisma.Sql) => Prisma.sql`histogram AS (
  SELECT h."rebootType", h.bucket, count(*)::int AS count FROM (
    SELECT x."rebootType", ${Prisma.raw(bucketOf("x.v", "step.step"))} AS bucket FROM (${values}) x CROSS JOIN step) h
  GROUP BY h."rebootType", h.bucket
)`;

interface TypesPart {
  stats: Array<StatsRow<object>> | null;
  escalations: Array<Json<RebootRow>> | null;
  histogramStep: number;
  histogram: Array<{ rebootType: RebootType; bucket: number; count: number }> | null;
}

/** Per type (every phase), the escalations and the histogram of totals: one statement. */
async function typesPart(db: Sql, range: ReportRange): Promise<TypesPart> {
  await workMem(db);
  const arrays = Prisma.raw(PHASES.map((p) => `${sortedValues(`b."${p}"`).sql} AS "${p}"`).join(",\n"));
  const stats = Prisma.raw(PHASES.map((p) => arrayStatColumns(`t."${p}"`, p).sql).join(",\n"));
  const [row] = await db.$queryRaw<[TypesPart]>`
    WITH b AS NOT MATERIALIZED (${recordsIn([range], range)}),
    t AS MATERIALIZED (SELECT b."rebootType", ${countColumns}, ${arrays} FROM b GROUP BY b."rebootType"),
    stats AS (
      SELECT t."rebootType", t.reboots, t.reboots - COALESCE(cardinality(t."totalMs"), 0) AS "withoutTotal", t."beforeLost", t.escalated, ${stats} FROM t
    ),
    ${escalationsCte},
    ${stepCte},
    ${histogramCte(Prisma.sql`SELECT t."rebootType", v FROM t CROSS JOIN LATERAL unnest(t."totalMs") v`)}
    SELECT ${typesColumns}`;
  return row;
}

/**
 * typesPart for a range with its settled span kept (spans.ts): the span's
 * counts and windows, merged with the reboots of the range's edges; the
 * histogram buckets the span's totals and the edges' in one pass (the span's
 * array, 2 MB at 90 days, is read once). `ok` is false should the edges hold
 * more reboots than a window reaches (the caller then computes the part live).
 */
async function spannedTypesPart(db: Sql, range: ReportRange, span: ScopedSpan): Promise<TypesPart & { ok: boolean }> {
  await workMem(db);
  const arrays = Prisma.raw(PHASES.map((p) => `${sortedValues(`e."${p}"`).sql} AS "${p}"`).join(",\n"));
  const phaseRows = Prisma.raw(PHASES.map((p) => `('${p}', l."${p}")`).join(", "));
  const pivot = Prisma.raw(
    PHASES.map(
      (p) => `max(q.n) FILTER (WHERE q.phase = '${p}')::int AS "${p}:n",
        max(q.p50) FILTER (WHERE q.phase = '${p}') AS "${p}:p50",
        max(q.p95) FILTER (WHERE q.phase = '${p}') AS "${p}:p95",
        max(q.max) FILTER (WHERE q.phase = '${p}') AS "${p}:max"`,
    ).join(",\n"),
  );
  const live = Prisma.sql`
    SELECT NULL::text AS key, l."rebootType", p.phase, COALESCE(p.a, '{}'::float8[]) AS a
    FROM lt l CROSS JOIN LATERAL (VALUES ${phaseRows}) AS p(phase, a)`;
  const [row] = await db.$queryRaw<[TypesPart & { ok: boolean }]>`
    WITH b AS NOT MATERIALIZED (${recordsIn([range], range)}),
    e AS NOT MATERIALIZED (${recordsIn(edgesOf(range, span), range)}),
    lt AS MATERIALIZED (SELECT e."rebootType", ${edgeCounts}, ${arrays} FROM e GROUP BY e."rebootType"),
    counts AS (
      SELECT c."rebootType", sum(c.reboots)::int AS reboots, sum(c."beforeLost")::int AS "beforeLost",
        sum(c.escalated)::int AS escalated
      FROM (
        SELECT x."rebootType", x.reboots, x."beforeLost", x.escalated
        FROM "ReportSpan" k
        CROSS JOIN LATERAL jsonb_to_recordset(k.types) AS x("rebootType" text, reboots int, "beforeLost" int, escalated int)
        WHERE ${spanIs("k", span)}
        UNION ALL
        SELECT l."rebootType", l.reboots, l."beforeLost", l.escalated FROM lt l
      ) c GROUP BY c."rebootType"
    ),
    j AS MATERIALIZED (${mergedSql(span, "type", live)}),
    pivot AS (SELECT q."rebootType", ${pivot} FROM j q GROUP BY q."rebootType"),
    stats AS (
      SELECT c."rebootType", c.reboots, c.reboots - COALESCE(v."totalMs:n", 0) AS "withoutTotal", c."beforeLost",
        c.escalated, ${Prisma.raw(PHASES.map((p) => `v."${p}:n", v."${p}:p50", v."${p}:p95", v."${p}:max"`).join(", "))}
      FROM counts c JOIN pivot v ON v."rebootType" = c."rebootType"
    ),
    ${escalationsCte},
    ${stepCte},
    ${histogramCte(Prisma.sql`SELECT t."rebootType", v FROM j t CROSS JOIN LATERAL unnest(t.sorted || t.live) v
      WHERE t.phase = 'totalMs' AND t.max IS NOT NULL`)}
    SELECT ${typesColumns}, COALESCE((SELECT bool_and(q.ok) FROM j q), true) AS ok`;
  return row;
}

/** The parts of the range before and after its settled span. */
const edgesOf = (range: ReportRange, span: Interval): Interval[] =>
  [
    { from: range.from, to: span.from },
    { from: span.to, to: range.to },
  ].filter((edge) => edge.to > edge.from);

/** Counts of the edges' reboots `e` (with the span's, they make the breakdowns' counts). */
const edgeCounts = Prisma.sql`count(*)::int AS reboots, count(*) FILTER (WHERE e."beforeLost")::int AS "beforeLost",
  count(*) FILTER (WHERE e.escalated)::int AS escalated`;

/**
 * The images CTE (per image version after the reboot and type: counts and the
 * total's figures) over the range's reboots `b`, or, with the settled span,
 * from its values merged with the edges' reboots; and whether the span's
 * windows held the ranks (true when computed live).
 */
function imagesSql(range: ReportRange, span: ScopedSpan | null): { ctes: Prisma.Sql; ok: Prisma.Sql } {
  if (!span) {
    return {
      ctes: Prisma.sql`images AS (
        SELECT i."imageVersion", i."rebootType", i.reboots, i.reboots - COALESCE(cardinality(i.total), 0) AS "withoutTotal",
          i."beforeLost", i.escalated, ${arrayStatColumns("i.total", "totalMs")}
        FROM (SELECT b."imageVersionAfter" AS "imageVersion", b."rebootType", ${countColumns},
                ${sortedValues('b."totalMs"')} AS total
              FROM b GROUP BY b."imageVersionAfter", b."rebootType") i
      )`,
      ok: Prisma.sql`true`,
    };
  }
  const live = Prisma.sql`SELECT l.key, l."rebootType", 'totalMs' AS phase, COALESCE(l.a, '{}'::float8[]) AS a FROM ie l`;
  return {
    ctes: Prisma.sql`ie AS MATERIALIZED (
        SELECT e."imageVersionAfter" AS key, e."rebootType", ${edgeCounts}, ${sortedValues('e."totalMs"')} AS a
        FROM (${recordsIn(edgesOf(range, span), range)}) e GROUP BY e."imageVersionAfter", e."rebootType"
      ),
      ij AS MATERIALIZED (${mergedSql(span, "image", live)}),
      ic AS (
        SELECT c."imageVersion", c."rebootType", sum(c.reboots)::int AS reboots, sum(c."beforeLost")::int AS "beforeLost",
          sum(c.escalated)::int AS escalated
        FROM (
          SELECT x."imageVersion", x."rebootType", x.reboots, x."beforeLost", x.escalated
          FROM "ReportSpan" k CROSS JOIN LATERAL jsonb_to_recordset(k.images)
            AS x("imageVersion" text, "rebootType" text, reboots int, "beforeLost" int, escalated int)
          WHERE ${spanIs("k", span)}
          UNION ALL
          SELECT l.key, l."rebootType", l.reboots, l."beforeLost", l.escalated FROM ie l
        ) c GROUP BY c."imageVersion", c."rebootType"
      ),
      images AS (
        SELECT c."imageVersion", c."rebootType", c.reboots, c.reboots - COALESCE(j.n, 0) AS "withoutTotal",
          c."beforeLost", c.escalated, COALESCE(j.n, 0) AS "totalMs:n", j.p50 AS "totalMs:p50",
          j.p95 AS "totalMs:p95", j.max AS "totalMs:max"
        FROM ic c LEFT JOIN ij j ON j.key IS NOT DISTINCT FROM c."imageVersion" AND j."rebootType" = c."rebootType"
      )`,
    ok: Prisma.sql`COALESCE((SELECT bool_and(j.ok) FROM ij j), true)`,
  };
}

/**
 * The slowest nodes are found among the nodes of the range's longest totals
 * (TOP_TOTALS of them), read from the index of soft-reboot totals: the
 * WALKED_TOTALS longest of all time, those in the range kept. Every other node's
 * totals in the range are no longer than the shortest of those (or than the
 * shortest walked, should the walk end first), so neither is its p95: once
 * ten candidates' p95 beat that bound, no other node can place. Otherwise
 * (or when the walk saw every reboot) the figures are computed for every node.
 */
const TOP_TOTALS = 2000;
const WALKED_TOTALS = 20_000;

interface ImagesPart {
  images: Array<TotalsRow<{ imageVersion: string | null }>> | null;
  trend: Array<Json<TrendPoint>> | null;
  slowestNodes: SlowNode[] | null;
}

/** Per image version, the slowest nodes and the trend (kept buckets and live parts): one statement. */
async function imagesPart(db: Sql, range: ReportRange, bucket: Bucket, split: Split): Promise<ImagesPart> {
  await workMem(db);
  const images = imagesSql(range, split.span);
  const [row] = await db.$queryRaw<[ImagesPart & { ok: boolean }]>`
    WITH b AS NOT MATERIALIZED (${recordsIn([range], range)}),
    ${images.ctes},
    walk AS MATERIALIZED (
      SELECT r."nodeId", r."totalMs", r."recordedAt" FROM "RebootRecord" r
      WHERE r."rebootType" = 'soft-reboot' AND r."totalMs" IS NOT NULL
      ORDER BY r."totalMs" DESC LIMIT ${WALKED_TOTALS}
    ),
    top_totals AS MATERIALIZED (
      SELECT r."nodeId", r."totalMs" FROM walk r
      WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to} ${inGroup(range, "r")}
      ORDER BY r."totalMs" DESC LIMIT ${TOP_TOTALS}
    ),
    bound AS (
      SELECT CASE
        WHEN (SELECT count(*) FROM top_totals) = ${TOP_TOTALS} THEN (SELECT min(t."totalMs") FROM top_totals t)
        WHEN (SELECT count(*) FROM walk) < ${WALKED_TOTALS} THEN '-Infinity'::float8
        ELSE (SELECT min(w."totalMs") FROM walk w) END AS below
    ),
    candidates AS (
      SELECT c."nodeId", s.reboots, softfleet_percentile(s.totals, 0.5) AS p50,
        softfleet_percentile(s.totals, 0.95) AS p95, s.totals[s.reboots] AS max
      FROM (SELECT DISTINCT t."nodeId" FROM top_totals t) c
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS reboots, ${sortedValues('r."totalMs"')} AS totals FROM "RebootRecord" r
        WHERE r."nodeId" = c."nodeId" AND r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to}
          AND r."rebootType" = 'soft-reboot' AND r."totalMs" IS NOT NULL
      ) s
      ORDER BY p95 DESC, max DESC, c."nodeId" LIMIT 10
    ),
    exact AS (
      SELECT (SELECT below FROM bound) = '-Infinity'::float8
        OR ((SELECT count(*) FROM candidates) = 10
          AND (SELECT min(c.p95) FROM candidates c) > (SELECT below FROM bound)) AS ok
    ),
    slow_nodes AS (
      SELECT c.* FROM candidates c WHERE (SELECT ok FROM exact)
      UNION ALL
      SELECT * FROM (
        SELECT s."nodeId", s.reboots, softfleet_percentile(s.totals, 0.5) AS p50,
          softfleet_percentile(s.totals, 0.95) AS p95, s.totals[s.reboots] AS max
        FROM (SELECT b."nodeId", count(*)::int AS reboots, ${sortedValues('b."totalMs"')} AS totals
              FROM b WHERE b."rebootType" = 'soft-reboot' AND b."totalMs" IS NOT NULL GROUP BY b."nodeId") s
        WHERE NOT (SELECT ok FROM exact)
        ORDER BY p95 DESC, max DESC, s."nodeId" LIMIT 10) every_node
    ),
    trend AS (
      SELECT p.at, p.dimension, p.key, p.reboots, p.p50, p.p95 FROM (${trendPointsSql(split.live, range, bucket)}) p
      UNION ALL
      SELECT k.at, p.dimension, p.key, p.reboots, p.p50, p.p95
      FROM (${keptSql(bucket, split)}) k
      CROSS JOIN LATERAL jsonb_to_recordset(k.trend) AS p(dimension text, key text, reboots int, p50 float8, p95 float8)
    )
    SELECT
      (SELECT json_agg(i ORDER BY i."imageVersion" NULLS LAST, i."rebootType") FROM images i) AS images,
      (SELECT json_agg(json_build_object('at', ${epochMs("t.at")}, 'dimension', t.dimension, 'key', t.key,
          'reboots', t.reboots, 'p50', t.p50, 'p95', t.p95) ORDER BY t.at, t.dimension, t.key)
        FROM trend t) AS trend,
      (SELECT json_agg(json_build_object('nodeId', s."nodeId", 'hostname', n.hostname, 'simulated', n.simulated,
          'reboots', s.reboots, 'p50', s.p50, 'p95', s.p95, 'max', s.max) ORDER BY s.p95 DESC, s.max DESC, s."nodeId")
        FROM slow_nodes s JOIN "Node" n ON n.id = s."nodeId") AS "slowestNodes",
      ${images.ok} AS ok`;
  // The edges outgrew a window of the span: the images computed live.
  if (!row.ok) return imagesPart(db, range, bucket, { ...split, span: null });
  return row;
}

interface GroupsPart {
  byGroup: Array<TotalsRow<{ groupId: string; groupName: string }>> | null;
}

/**
 * Per group, over the whole fleet's range. With the settled span kept, the
 * groups whose nodes are as they were then (their scope is among the span's)
 * have their figures from the span's windows merged with the edges' reboots;
 * the others (changed since, or new) are computed over the range. Without it,
 * every group is. The groups' nodes are joined to Node first: the planner then
 * knows each node id is one row and hashes the ~10k nodes, not the ~250k
 * reboots. (One group's report has its per-group figures from its per-type
 * ones: groupOfTypes.)
 */
async function groupsPart(db: Sql, range: ReportRange, span: ScopedSpan | null): Promise<GroupsPart> {
  await workMem(db);
  // The groups' nodes are estimated ~100 per label selector: without this the planner reads each
  // node's records by its own index probes and heap fetches (10,000 of them: 450 ms warm, seconds
  // cold) instead of one index-only range scan hashed against the nodes.
  // Set back afterwards to what it was: given a caller's transaction, the rest of it plans as before.
  // (Should a statement fail, the transaction is aborted and the setting, local to it, goes with it.)
  const [{ previous }] = await db.$queryRaw<[{ previous: string }]>`
    SELECT current_setting('enable_nestloop') AS previous`;
  await db.$queryRaw`SELECT set_config('enable_nestloop', 'off', true)`;
  const part = await byGroups(db, range, span);
  await db.$queryRaw`SELECT set_config('enable_nestloop', ${previous}, true)`;
  return part;
}

/** groupsPart's statements: from the span where it holds, over the range otherwise. */
async function byGroups(db: Sql, range: ReportRange, span: ScopedSpan | null): Promise<GroupsPart> {
  if (span) {
    const [{ changed }] = await db.$queryRaw<[{ changed: string[] }]>`
        SELECT COALESCE(array_agg(gs."groupId"), '{}') AS changed FROM (${groupScopesSql()}) gs
        WHERE gs.scope NOT IN (
          SELECT x.scope FROM "ReportSpan" k CROSS JOIN LATERAL jsonb_to_recordset(k.groups) AS x(scope text)
          WHERE ${spanIs("k", span)})`;
    const [row] = await db.$queryRaw<[GroupsPart & { ok: boolean }]>`
        WITH ${spannedGroupsCtes(range, span, changed)},
        ${liveGroupsCtes(range, changed)}
        SELECT (SELECT json_agg(g ORDER BY g."groupName", g."rebootType")
                FROM (SELECT * FROM spanned UNION ALL SELECT * FROM by_group) g) AS "byGroup",
          COALESCE((SELECT bool_and(j.ok) FROM gj j), true) AS ok`;
    // The edges outgrew a window of the span: every group computed over the range.
    if (row.ok) return row;
  }
  const [row] = await db.$queryRaw<[GroupsPart]>`
    WITH ${liveGroupsCtes(range, null)}
    SELECT (SELECT json_agg(g ORDER BY g."groupName", g."rebootType") FROM by_group g) AS "byGroup"`;
  return row;
}

/** The per-group figures over the range (by_group), of the groups `only` (null: every group). */
function liveGroupsCtes(range: ReportRange, only: string[] | null): Prisma.Sql {
  if (only?.length === 0) {
    return Prisma.sql`by_group AS (SELECT * FROM spanned WHERE false)`;
  }
  const filter = only ? Prisma.sql`WHERE gn."groupId" = ANY(${only}::text[])` : Prisma.empty;
  return Prisma.sql`b AS NOT MATERIALIZED (${recordsIn([range], range)}),
    gn AS MATERIALIZED (SELECT * FROM (${groupNodesSql()}) gn ${filter}),
    members AS NOT MATERIALIZED (
      SELECT n.id AS "nodeId", gn."groupId", gn."groupName" FROM gn JOIN "Node" n ON n.id = gn."nodeId"
    ),
    by_group AS (
      SELECT g."groupId", g."groupName", g."rebootType", g.reboots,
        g.reboots - COALESCE(cardinality(g.total), 0) AS "withoutTotal", g."beforeLost", g.escalated,
        ${arrayStatColumns("g.total", "totalMs")}
      FROM (SELECT m."groupId", m."groupName", b."rebootType", ${countColumns}, ${sortedValues('b."totalMs"')} AS total
            FROM b JOIN members m ON m."nodeId" = b."nodeId" GROUP BY 1, 2, 3) g
    )`;
}

/**
 * The per-group figures (spanned) of the groups not `changed` since the span
 * was kept: its counts and windows (under each group's scope) merged with the
 * reboots of the range's edges; gj holds whether the windows held the ranks.
 */
function spannedGroupsCtes(range: ReportRange, span: ScopedSpan, changed: string[]): Prisma.Sql {
  const live = Prisma.sql`SELECT e.key, e."rebootType", 'totalMs' AS phase, COALESCE(e.a, '{}'::float8[]) AS a FROM ge e`;
  return Prisma.sql`gm AS MATERIALIZED (${groupNodesSql()}),
    gs AS MATERIALIZED (
      SELECT s.* FROM (${groupScopesSql(Prisma.sql`SELECT * FROM gm`)}) s WHERE NOT (s."groupId" = ANY(${changed}::text[]))
    ),
    ge AS MATERIALIZED (
      SELECT gs.scope AS key, e."rebootType", ${edgeCounts}, ${sortedValues('e."totalMs"')} AS a
      FROM (${recordsIn(edgesOf(range, span), range)}) e
      JOIN gm ON gm."nodeId" = e."nodeId" JOIN gs ON gs."groupId" = gm."groupId"
      GROUP BY gs.scope, e."rebootType"
    ),
    gj AS MATERIALIZED (${mergedSql(span, "group", live)}),
    gc AS (
      SELECT c.scope, c."rebootType", sum(c.reboots)::int AS reboots, sum(c."beforeLost")::int AS "beforeLost",
        sum(c.escalated)::int AS escalated
      FROM (
        SELECT x.scope, y."rebootType", y.reboots, y."beforeLost", y.escalated
        FROM "ReportSpan" k CROSS JOIN LATERAL jsonb_to_recordset(k.groups) AS x(scope text, counts jsonb)
        CROSS JOIN LATERAL jsonb_to_recordset(x.counts) AS y("rebootType" text, reboots int, "beforeLost" int, escalated int)
        WHERE ${spanIs("k", span)}
        UNION ALL
        SELECT e.key, e."rebootType", e.reboots, e."beforeLost", e.escalated FROM ge e
      ) c GROUP BY c.scope, c."rebootType"
    ),
    spanned AS (
      SELECT gs."groupId", gs."groupName", c."rebootType", c.reboots, c.reboots - COALESCE(j.n, 0) AS "withoutTotal",
        c."beforeLost", c.escalated, COALESCE(j.n, 0) AS "totalMs:n", j.p50 AS "totalMs:p50", j.p95 AS "totalMs:p95",
        j.max AS "totalMs:max"
      FROM gc c JOIN gs ON gs.scope = c.scope
      LEFT JOIN gj j ON j.key = c.scope AND j."rebootType" = c."rebootType"
    )`;
}

/**
 * One group's report's per-group figures: its per-type counts and totals, the
 * same reboots (the group's nodes' in the range) as groupsPart would read.
 */
function groupOfTypes(group: { id: string; name: string } | null, byType: Array<TypedStats>) {
  if (!group) return [];
  return byType.map((t) => ({
    groupId: group.id,
    groupName: group.name,
    rebootType: t.rebootType,
    reboots: t.reboots,
    withoutTotal: t.withoutTotal,
    beforeLost: t.beforeLost,
    escalated: t.escalated,
    total: t.phases.totalMs,
  }));
}

/** The restarts (with a gap) of the units of the soft-reboots of the intervals, from their partial index. */
function restartsIn(intervals: Interval[], range: ReportRange): Prisma.Sql {
  const columns = Prisma.sql`x.name, x."gapMs"`;
  if (intervals.length === 0) return Prisma.sql`SELECT ${columns} FROM "RebootUnit" x WHERE false`;
  return Prisma.join(
    intervals.map(
      (i) => Prisma.sql`SELECT ${columns} FROM "RebootUnit" x
        WHERE x."recordedAt" >= ${i.from} AND x."recordedAt" < ${i.to}
          AND x."rebootType" = 'soft-reboot' AND x."gapMs" IS NOT NULL ${inGroup(range, "x")}`,
    ),
    " UNION ALL ",
  );
}

/**
 * The gaps CTE (per unit name: the restarts' gap count, p50, p95 and max) over
 * the range, or, with the settled span, from its values merged with the
 * edges' restarts; and whether the span's windows held the ranks.
 */
function gapsSql(range: ReportRange, span: ScopedSpan | null): { ctes: Prisma.Sql; ok: Prisma.Sql } {
  if (!span) {
    return {
      ctes: Prisma.sql`gaps AS (
        SELECT x.name, count(*)::int AS "gapN",
          percentile_cont(0.5) WITHIN GROUP (ORDER BY x."gapMs") AS "gapP50Ms",
          percentile_cont(0.95) WITHIN GROUP (ORDER BY x."gapMs") AS "gapP95Ms", max(x."gapMs") AS "gapMaxMs"
        FROM (${restartsIn([range], range)}) x
        GROUP BY x.name
      )`,
      ok: Prisma.sql`true`,
    };
  }
  const live = Prisma.sql`
    SELECT x.name AS key, 'soft-reboot' AS "rebootType", 'gapMs' AS phase, softfleet_sorted(array_agg(x."gapMs")) AS a
    FROM (${restartsIn(edgesOf(range, span), range)}) x GROUP BY x.name`;
  return {
    ctes: Prisma.sql`gj AS MATERIALIZED (${mergedSql(span, "service", live)}),
      gaps AS (
        SELECT j.key AS name, j.n AS "gapN", j.p50 AS "gapP50Ms", j.p95 AS "gapP95Ms", j.max AS "gapMaxMs" FROM gj j
      )`,
    ok: Prisma.sql`COALESCE((SELECT bool_and(j.ok) FROM gj j), true)`,
  };
}

interface ServicesPart {
  slowestServices: ServiceRow[] | null;
}

/**
 * The slowest services: outcome counts from the kept buckets and the live
 * parts, the restarts' gaps over the whole range (from the partial index of
 * restarts by unit name). One statement.
 */
async function servicesPart(db: Sql, range: ReportRange, bucket: Bucket, split: Split): Promise<ServicesPart> {
  await workMem(db);
  const gaps = gapsSql(range, split.span);
  const [row] = await db.$queryRaw<[ServicesPart & { ok: boolean }]>`
    WITH counts AS (
      SELECT c.name, sum(c.survived)::int AS survived, sum(c.restarted)::int AS restarted,
        sum(c.absent)::int AS absent, sum(c.unknown)::int AS unknown
      FROM (
        SELECT s.name, s.survived, s.restarted, s.absent, s.unknown FROM (${serviceCountsSql(split.live, range, bucket)}) s
        UNION ALL
        SELECT e.name, e.survived, e.restarted, e.absent, e.unknown
        FROM (${keptSql(bucket, split)}) k
        CROSS JOIN LATERAL jsonb_to_recordset(k.services) AS e(name text, survived int, restarted int, absent int, unknown int)
      ) c GROUP BY c.name
    ),
    ${gaps.ctes},
    services AS (
      SELECT c.*, COALESCE(g."gapN", 0) AS "gapN", g."gapP50Ms", g."gapP95Ms", g."gapMaxMs"
      FROM counts c LEFT JOIN gaps g ON g.name = c.name
      ORDER BY g."gapP95Ms" DESC NULLS LAST, c.restarted DESC, c.name LIMIT 15
    )
    SELECT (SELECT json_agg(v ORDER BY v."gapP95Ms" DESC NULLS LAST, v.restarted DESC, v.name) FROM services v)
      AS "slowestServices", ${gaps.ok} AS ok`;
  // The edges outgrew a window of the span: the gaps computed live.
  if (!row.ok) return servicesPart(db, range, bucket, { ...split, span: null });
  return row;
}

/**
 * The fleet (or one group's) report over a time range, computed in Postgres:
 * per reboot type, per image version and per group; a trend of totals; the
 * escalations; the slowest nodes and services; a histogram of totals.
 * Soft-reboots and full reboots are never mixed in one figure. Percentiles
 * are exact (percentile_cont's, or the same arithmetic over sorted arrays:
 * migration 20261127050000_report_arrays).
 *
 * Three statements, each reading the range from the covering index on
 * recordedAt (one group's: its nodes' records). The trend and the services'
 * outcome counts of settled buckets come from ReportBucket (buckets.ts), and
 * the per-type, per-image and service-gap figures of the settled span from
 * ReportSpan (spans.ts), computed and kept by the first report that needs
 * them, the whole fleet's and each group's apart (scope.ts); the rest of the
 * range is computed live. All read one snapshot: given a client, the report
 * opens its RepeatableRead transactions and runs the three statements
 * concurrently; given a transaction, one after the other in it (and keeps
 * nothing).
 */
export async function fleetReport(db: Sql | Client, range: ReportRange, options: { keepFacts?: boolean } = {}) {
  const bucket = trendBucketOf(range);
  const span = settledSpan(range, new Date());
  // keepFacts false (a read replica): what is kept is used, what is not is computed live and not kept.
  if (options.keepFacts !== false && "$transaction" in db) await keepFleetReportFacts(db, range);
  const types = async (tx: Sql, s: Split) => {
    const spanned = s.span ? await spannedTypesPart(tx, range, s.span) : null;
    return spanned?.ok ? spanned : typesPart(tx, range);
  };
  const [split, [[a, b, d], [c, payloads, gapsByImage]]] = await inOneSnapshot<
    Split,
    [
      [TypesPart, ImagesPart, ServicesPart],
      [GroupsPart, PayloadStats[], Array<ClientGapRow & { imageVersion: string | null }>],
    ]
  >(
    db,
    async (tx) => {
      const scope = await scopeOf(tx, range.groupId);
      const kept = await keptBuckets(tx, range, bucket, scope);
      const spanned = span && (await spanKept(tx, { ...span, scope })) ? { ...span, scope } : null;
      const group = range.groupId
        ? await tx.$queryRaw<Array<{ id: string; name: string }>>`
            SELECT g.id, g.name FROM "NodeGroup" g WHERE g.id = ${range.groupId}`
        : [];
      return { scope, kept, live: liveIntervals(range, bucket, kept), span: spanned, group: group[0] ?? null };
    },
    [
      async (tx, s) => [
        await types(tx, s),
        await imagesPart(tx, range, bucket, s),
        await servicesPart(tx, range, bucket, s),
      ],
      async (tx, s) => [
        range.groupId ? { byGroup: null } : await groupsPart(tx, range, s.span),
        await payloadStatsOf(tx, payloadFactsSql(range)),
        await clientGapStatsByImage(tx, clientGapsSql(range)),
      ],
    ],
  );
  const stats = (a.stats ?? []).map(typed);
  const step = a.histogramStep;
  return {
    range: { ...range, groupId: range.groupId ?? null },
    bucket,
    byType: stats,
    /** Per image version after the reboot and type: the total's figures (the phases are in byType). */
    byImageVersion: (b.images ?? []).map(totaled),
    /** Surviving payloads kept running and pinned old roots: for the range (imageVersion null), then per image version. */
    payloads,
    /** What each probed payload's clients saw, per image version after the reboot. */
    clientGapsByImage: gapsByImage,
    /** Per group (as it is now) and type: the total's figures. */
    byGroup: range.groupId ? groupOfTypes(split.group, stats) : (c.byGroup ?? []).map(totaled),
    trend: (b.trend ?? []).map((p): TrendPoint => ({ ...p, at: new Date(p.at) })),
    escalations: (a.escalations ?? []).map((e): RebootRow => ({ ...e, recordedAt: new Date(e.recordedAt) })),
    slowestNodes: b.slowestNodes ?? [],
    slowestServices: d.slowestServices ?? [],
    histogram: (a.histogram ?? []).map(
      (row): HistogramBucket => ({
        rebootType: row.rebootType,
        fromMs: row.bucket * step,
        toMs: (row.bucket + 1) * step,
        count: row.count,
      }),
    ),
  };
}

export type FleetReport = Awaited<ReturnType<typeof fleetReport>>;

/**
 * Keeps what a first fleet (or group's) report over `range` computes and
 * keeps for later ones: its settled day (or week) buckets and its settled
 * span, in the fleet's or the group's scope. Returns how many buckets it
 * computed and whether it computed the span (nothing when they are kept
 * already).
 */
export async function keepFleetReportFacts(
  db: Client,
  range: ReportRange,
): Promise<{ buckets: number; span: boolean }> {
  const bucket = trendBucketOf(range);
  const scope = await scopeOf(db, range.groupId);
  const facts = (i: Interval[]) => bucketFactsSql(i, bucket, range.groupId);
  const buckets = await fillBuckets(db, range, bucket, facts, range.groupId, scope);
  const span = settledSpan(range, new Date());
  return { buckets, span: span ? await fillSpan(db, span, recordsIn([span], range), range.groupId, scope) : false };
}

/** The last `days` UTC days, today included: the report page's default range (90 days). */
export function lastDaysRange(days: number, now = new Date()): ReportRange {
  const tomorrow = (Math.floor(now.getTime() / DAY_MS) + 1) * DAY_MS;
  return { from: new Date(tomorrow - days * DAY_MS), to: new Date(tomorrow) };
}

/** One page of the range's reboots, oldest first, for exports; `after` is the last row's cursor. */
export async function fleetReportRows(db: Sql, range: ReportRange, page: { after?: string | null; limit: number }) {
  const cursor = page.after ? decodeCursor(page.after) : null;
  const after = cursor ? Prisma.sql`WHERE (b."recordedAt", b."recordId") > (${cursor.at}, ${cursor.id})` : Prisma.empty;
  const rows = await db.$queryRaw<Array<RebootRow & { commandId: string | null }>>`
    SELECT b."recordId", b."nodeId", b.hostname, b.simulated, b."recordedAt", b."rebootType", b.kind, b.requested,
      b.escalated, b."beforeLost", b.trigger, b."imageVersionBefore", b."imageVersionAfter", b."commandId",
      b."signalToShutdownMs", b."shutdownMs", b."bootMs", b."reconnectMs", b."totalMs"
    FROM (${rebootsSql(range)}) b ${after}
    ORDER BY b."recordedAt", b."recordId" LIMIT ${page.limit}`;
  const last = rows.at(-1);
  return { rows, next: rows.length === page.limit && last ? encodeCursor(last.recordedAt, last.recordId) : null };
}

const encodeCursor = (at: Date, id: string) => `${at.toISOString()}_${id}`;
function decodeCursor(cursor: string): { at: Date; id: string } | null {
  const split = cursor.indexOf("_");
  const at = new Date(cursor.slice(0, split));
  return split > 0 && !Number.isNaN(at.getTime()) ? { at, id: cursor.slice(split + 1) } : null;
}
