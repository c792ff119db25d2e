import { type Db, Prisma } from "@softfleet/db";
import { type ServiceRow, servicesSql } from "./services";
import {
  type HistogramBucket,
  niceStepSql,
  type PhaseStat,
  type PhaseStats,
  phaseColumns,
  phaseStatsOf,
  type RebootRow,
  type RebootType,
  type Sql,
  type StatRow,
  statColumns,
  type TotalRow,
  totalColumns,
  totalStatOf,
  withoutStats,
} from "./sql";

export interface ReportRange {
  from: Date;
  to: Date;
  /** Only the nodes of this group (its static members and those its label selector matches, as of now). */
  groupId?: string | null;
}

/**
 * A group's nodes now: static members and the nodes its label selector matches
 * (a GIN index on Node.labels finds those).
 */
const groupNodesSql = Prisma.sql`
  SELECT g.id AS "groupId", g.name AS "groupName", m."nodeId"
  FROM "NodeGroup" g JOIN "NodeGroupMember" m ON m."groupId" = g.id
  UNION
  SELECT g.id, g.name, n.id
  FROM "NodeGroup" g JOIN "Node" n ON g."labelSelector" <> '{}'::jsonb AND n.labels @> g."labelSelector"`;

const inGroup = (range: ReportRange, alias: string) =>
  range.groupId
    ? Prisma.sql`AND ${Prisma.raw(alias)}."nodeId" IN (SELECT gn."nodeId" FROM (${groupNodesSql}) gn WHERE gn."groupId" = ${range.groupId})`
    : Prisma.empty;

/** The reboots recorded in the range (of the group's nodes), with their phases. */
export function rebootsSql(range: ReportRange): Prisma.Sql {
  return Prisma.sql`
    SELECT r.id AS "recordId", r."nodeId", n.hostname, n.simulated, r."recordedAt", r.kind, r.requested, r.escalated,
      r."beforeLost", r.trigger, r."imageVersionBefore", r."imageVersionAfter", r."commandId", ${phaseColumns}
    FROM "RebootRecord" r JOIN "Node" n ON n.id = r."nodeId"
    WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to} ${inGroup(range, "r")}`;
}

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

const countColumns = Prisma.sql`count(*)::int AS reboots, (count(*) - count(b."totalMs"))::int AS "withoutTotal",
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

/** Day buckets up to four months, weeks beyond. */
export const trendBucketOf = (range: ReportRange): "day" | "week" =>
  range.to.getTime() - range.from.getTime() <= 122 * 86_400_000 ? "day" : "week";

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

/** Memory for a statement's sorts (the percentiles sort each phase of ~250k reboots in memory). */
const REPORT_WORK_MEM = "64MB";

/** A client that can open transactions of its own (the report then runs its two statements concurrently). */
type Client = Sql & Pick<Db, "$transaction">;

/**
 * Runs `a` and `b` in one snapshot. Given a transaction, one after the other
 * in it; given a client, concurrently on two connections: `b`'s transaction
 * imports the snapshot `a`'s exported (pg_export_snapshot), so both read the
 * same data as one RepeatableRead transaction would. Should no second
 * connection be free, `b` runs after `a` in `a`'s transaction.
 */
async function inOneSnapshot<A, B>(
  db: Sql | Client,
  a: (tx: Sql) => Promise<A>,
  b: (tx: Sql) => Promise<B>,
): Promise<[A, B]> {
  if (!("$transaction" in db)) return [await a(db), await b(db)];
  const options = { isolationLevel: "RepeatableRead" as const, timeout: 60_000 };
  return db.$transaction(async (tx) => {
    const [{ snapshot }] = await tx.$queryRaw<[{ snapshot: string }]>`SELECT pg_export_snapshot() AS snapshot`;
    if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
    const other = db
      .$transaction(
        async (tx2) => {
          await tx2.$executeRawUnsafe(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
          return b(tx2);
        },
        { ...options, maxWait: 500 },
      )
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
    const resultA = await a(tx);
    const outcome = await other;
    if ("result" in outcome) return [resultA, outcome.result];
    if (!isNoConnection(outcome.error)) throw outcome.error;
    return [resultA, await b(tx)];
  }, options);
}

/** Prisma's P2028: a transaction could not start (no connection free within maxWait). */
const isNoConnection = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2028";

/**
 * Memory for the sorts; and no parallel workers: the report's two statements
 * already run side by side, and workers on top of them only contend for the cores.
 */
const workMem = (db: Sql) =>
  db.$queryRaw`SELECT set_config('work_mem', ${REPORT_WORK_MEM}, true),
    set_config('max_parallel_workers_per_gather', '0', true)`;

/** The range's reboots: index-only from the covering index on recordedAt (the phases are stored columns). */
const rangeSql = (range: ReportRange) => Prisma.sql`
  SELECT r.id AS "recordId", r."nodeId", r."recordedAt", r."imageVersionAfter", r.escalated, r."beforeLost", ${phaseColumns}
  FROM "RebootRecord" r
  WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to} ${inGroup(range, "r")}`;

interface PartA {
  stats: Array<StatsRow<object>> | null;
  images: Array<TotalsRow<{ imageVersion: string | null }>> | null;
  trend: Array<Json<TrendPoint>> | null;
  escalations: Array<Json<RebootRow>> | null;
  slowestNodes: SlowNode[] | null;
  histogramStep: number;
  histogram: Array<{ rebootType: RebootType; bucket: number; count: number }> | null;
}

/** Per type and per image version, the trend, the slowest nodes, the escalations and the histogram: one statement. */
async function partA(db: Sql, range: ReportRange, bucket: "day" | "week"): Promise<PartA> {
  await workMem(db);
  const [row] = await db.$queryRaw<[PartA]>`
    WITH b AS NOT MATERIALIZED (${rangeSql(range)}),
    stats AS (SELECT b."rebootType", ${countColumns}, ${statColumns} FROM b GROUP BY b."rebootType"),
    images AS (
      SELECT b."imageVersionAfter" AS "imageVersion", b."rebootType", ${countColumns}, ${totalColumns}
      FROM b GROUP BY b."imageVersionAfter", b."rebootType"
    ),
    trend AS (
      SELECT t.at, CASE WHEN grouping(t."imageVersionAfter") = 1 THEN 'type' ELSE 'image' END AS dimension,
        CASE WHEN grouping(t."imageVersionAfter") = 1 THEN t."rebootType" ELSE t."imageVersionAfter" END AS key,
        count(*)::int AS reboots,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY t."totalMs") AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY t."totalMs") AS p95
      FROM (SELECT date_trunc(${Prisma.raw(`'${bucket}'`)}, b."recordedAt") AS at, b."rebootType", b."imageVersionAfter",
              b."totalMs" FROM b) t
      GROUP BY GROUPING SETS ((t.at, t."rebootType"), (t.at, t."rebootType", t."imageVersionAfter"))
      HAVING grouping(t."imageVersionAfter") = 1 OR t."rebootType" = 'soft-reboot'
    ),
    slow_nodes AS (
      SELECT b."nodeId", count(*)::int AS reboots,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY b."totalMs") AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY b."totalMs") AS p95, max(b."totalMs") AS max
      FROM b WHERE b."rebootType" = 'soft-reboot' AND b."totalMs" IS NOT NULL
      GROUP BY b."nodeId" ORDER BY p95 DESC, max DESC LIMIT 10
    ),
    escalations AS (
      SELECT b."recordId", b."recordedAt" FROM b WHERE b.escalated ORDER BY b."recordedAt" DESC, b."recordId" DESC LIMIT 50
    ),
    step AS (
      SELECT ${niceStepSql(Prisma.sql`top."maxTotal"`)} AS step
      FROM (SELECT max(s."totalMs:max") AS "maxTotal" FROM stats s) top
    ),
    histogram AS (
      SELECT b."rebootType", floor(b."totalMs" / step.step)::int AS bucket, count(*)::int AS count
      FROM b, step WHERE b."totalMs" IS NOT NULL GROUP BY 1, 2
    )
    SELECT
      (SELECT json_agg(s ORDER BY s."rebootType") FROM stats s) AS stats,
      (SELECT json_agg(i ORDER BY i."imageVersion" NULLS LAST, i."rebootType") FROM images i) AS images,
      (SELECT json_agg(json_build_object('at', ${epochMs("t.at")}, 'dimension', t.dimension, 'key', t.key,
          'reboots', t.reboots, 'p50', t.p50, 'p95', t.p95) ORDER BY t.at, t.dimension, t.key)
        FROM trend t) AS trend,
      (SELECT json_agg(json_build_object('recordId', r.id, 'nodeId', r."nodeId", 'hostname', n.hostname,
          'simulated', n.simulated, 'recordedAt', ${epochMs('r."recordedAt"')}, 'rebootType', r."rebootType",
          'kind', r.kind, 'requested', r.requested, 'escalated', r.escalated, 'beforeLost', r."beforeLost",
          'trigger', r.trigger, 'imageVersionBefore', r."imageVersionBefore", 'imageVersionAfter', r."imageVersionAfter",
          'signalToShutdownMs', r."signalToShutdownMs", 'shutdownMs', r."shutdownMs", 'bootMs', r."bootMs",
          'reconnectMs', r."reconnectMs", 'totalMs', r."totalMs") ORDER BY e."recordedAt" DESC, e."recordId" DESC)
        FROM escalations e JOIN "RebootRecord" r ON r.id = e."recordId" JOIN "Node" n ON n.id = r."nodeId") AS escalations,
      (SELECT json_agg(json_build_object('nodeId', s."nodeId", 'hostname', n.hostname, 'simulated', n.simulated,
          'reboots', s.reboots, 'p50', s.p50, 'p95', s.p95, 'max', s.max) ORDER BY s.p95 DESC, s.max DESC)
        FROM slow_nodes s JOIN "Node" n ON n.id = s."nodeId") AS "slowestNodes",
      (SELECT step FROM step) AS "histogramStep",
      (SELECT json_agg(h ORDER BY h.bucket, h."rebootType") FROM histogram h) AS histogram`;
  return row;
}

interface PartB {
  byGroup: Array<TotalsRow<{ groupId: string; groupName: string }>> | null;
  slowestServices: ServiceRow[] | null;
}

/** Per group and the slowest services: one statement. */
async function partB(db: Sql, range: ReportRange): Promise<PartB> {
  const groupFilter = range.groupId ? Prisma.sql`WHERE gn."groupId" = ${range.groupId}` : Prisma.empty;
  const services = servicesSql(
    Prisma.sql`
      SELECT x.name, x.outcome, x."gapMs" FROM "RebootUnit" x
      WHERE x."recordedAt" >= ${range.from} AND x."recordedAt" < ${range.to} AND x."rebootType" = 'soft-reboot'
        ${inGroup(range, "x")}`,
    { orderBySlowest: true, limit: 15 },
  );
  await workMem(db);
  const [row] = await db.$queryRaw<[PartB]>`
    WITH b AS NOT MATERIALIZED (${rangeSql(range)}),
    gn AS MATERIALIZED (SELECT * FROM (${groupNodesSql}) gn ${groupFilter}),
    by_group AS (
      SELECT gn."groupId", gn."groupName", b."rebootType", ${countColumns}, ${totalColumns}
      FROM b JOIN gn ON gn."nodeId" = b."nodeId"
      GROUP BY 1, 2, 3
    ),
    services AS (${services})
    SELECT
      (SELECT json_agg(g ORDER BY g."groupName", g."rebootType") FROM by_group g) AS "byGroup",
      (SELECT json_agg(v ORDER BY v."gapP95Ms" DESC NULLS LAST, v.restarted DESC, v.name) FROM services v)
        AS "slowestServices"`;
  return row;
}

/**
 * The fleet (or one group's) report over a time range, computed in Postgres:
 * per reboot type, per image version and per group; a trend of totals; the
 * escalations; the slowest nodes and services; a histogram of totals.
 * Soft-reboots and full reboots are never mixed in one figure. Percentiles
 * are exact (percentile_cont: linear interpolation).
 *
 * Two statements, each reading the range once (index-only: the covering index
 * on recordedAt carries the stored phases) into a materialized CTE that its
 * breakdowns aggregate; the services come from RebootUnit. Both read one
 * snapshot: given a client, the report opens its RepeatableRead transactions
 * and runs the two statements concurrently (two connections); given a
 * transaction, it runs them one after the other in it.
 */
export async function fleetReport(db: Sql | Client, range: ReportRange) {
  const bucket = trendBucketOf(range);
  const [a, b] = await inOneSnapshot(
    db,
    (tx) => partA(tx, range, bucket),
    (tx) => partB(tx, range),
  );
  const stats = (a.stats ?? []).map(typed);
  const step = a.histogramStep;
  return {
    range: { ...range, groupId: range.groupId ?? null },
    bucket,
    byType: stats,
    /** Per image version after the reboot and type: the total's figures (the phases are in byType). */
    byImageVersion: (a.images ?? []).map(totaled),
    /** Per group (as it is now) and type: the total's figures. */
    byGroup: (b.byGroup ?? []).map(totaled),
    trend: (a.trend ?? []).map((p): TrendPoint => ({ ...p, at: new Date(p.at) })),
    escalations: (a.escalations ?? []).map((e): RebootRow => ({ ...e, recordedAt: new Date(e.recordedAt) })),
    slowestNodes: a.slowestNodes ?? [],
    slowestServices: b.slowestServices ?? [],
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
