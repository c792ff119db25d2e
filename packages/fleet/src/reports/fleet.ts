import { Prisma } from "@softfleet/db";
import { totalsHistogram } from "./rollout";
import { type ServiceRow, servicesOf } from "./services";
import {
  niceStep,
  type PhaseStats,
  phaseColumns,
  phaseStatsOf,
  type RebootRow,
  type RebootType,
  type Sql,
  type StatRow,
  statColumns,
} from "./sql";

export interface ReportRange {
  from: Date;
  to: Date;
  /** Only the nodes of this group (its static members and those its label selector matches, as of now). */
  groupId?: string | null;
}

/** A group's nodes now: static members and the nodes its label selector matches. */
const groupNodesSql = Prisma.sql`
  SELECT g.id AS "groupId", g.name AS "groupName", n.id AS "nodeId"
  FROM "NodeGroup" g JOIN "Node" n ON
    EXISTS (SELECT 1 FROM "NodeGroupMember" m WHERE m."groupId" = g.id AND m."nodeId" = n.id)
    OR (g."labelSelector" <> '{}'::jsonb AND n.labels @> g."labelSelector")`;

/** The reboots recorded in the range (of the group's nodes), with their phases. */
export function rebootsSql(range: ReportRange): Prisma.Sql {
  const group = range.groupId
    ? Prisma.sql`AND r."nodeId" IN (SELECT gn."nodeId" FROM (${groupNodesSql}) gn WHERE gn."groupId" = ${range.groupId})`
    : Prisma.empty;
  return Prisma.sql`
    SELECT r.id AS "recordId", r."nodeId", n.hostname, n.simulated, r."recordedAt", r.kind, r.requested, r.escalated,
      r."beforeLost", r.trigger, r."imageVersionBefore", r."imageVersionAfter", r."commandId", r.units, ${phaseColumns}
    FROM "RebootRecord" r JOIN "Node" n ON n.id = r."nodeId"
    WHERE r."recordedAt" >= ${range.from} AND r."recordedAt" < ${range.to} ${group}`;
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

type StatsRow<K> = K &
  StatRow & { rebootType: RebootType; reboots: number; withoutTotal: number; beforeLost: number; escalated: number };

const countColumns = Prisma.sql`count(*)::int AS reboots, (count(*) - count(b."totalMs"))::int AS "withoutTotal",
  count(*) FILTER (WHERE b."beforeLost")::int AS "beforeLost", count(*) FILTER (WHERE b.escalated)::int AS escalated`;

function typed<K extends object>(row: StatsRow<K>): K & TypedStats {
  const phases = phaseStatsOf(row);
  const rest = Object.fromEntries(Object.entries(row).filter(([key]) => !key.includes(":"))) as K &
    Omit<TypedStats, "phases">;
  return { ...rest, phases };
}

/** Day buckets up to four months, weeks beyond. */
export const trendBucketOf = (range: ReportRange): "day" | "week" =>
  range.to.getTime() - range.from.getTime() <= 122 * 86_400_000 ? "day" : "week";

/**
 * The fleet (or one group's) report over a time range, computed in Postgres:
 * per reboot type, per image version and per group; a trend of totals; the
 * escalations; the slowest nodes and services. Soft-reboots and full reboots
 * are never mixed in one figure.
 */
export async function fleetReport(db: Sql, range: ReportRange) {
  const base = rebootsSql(range);

  const byType = (
    await db.$queryRaw<StatsRow<object>[]>`
      SELECT b."rebootType", ${countColumns}, ${statColumns} FROM (${base}) b GROUP BY 1 ORDER BY 1`
  ).map(typed);

  const byImageVersion = (
    await db.$queryRaw<StatsRow<{ imageVersion: string | null }>[]>`
      SELECT b."imageVersionAfter" AS "imageVersion", b."rebootType", ${countColumns}, ${statColumns}
      FROM (${base}) b GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2`
  ).map(typed);

  const groupFilter = range.groupId ? Prisma.sql`WHERE gn."groupId" = ${range.groupId}` : Prisma.empty;
  const byGroup = (
    await db.$queryRaw<StatsRow<{ groupId: string; groupName: string }>[]>`
      SELECT gn."groupId", gn."groupName", b."rebootType", ${countColumns}, ${statColumns}
      FROM (${base}) b JOIN (${groupNodesSql}) gn ON gn."nodeId" = b."nodeId" ${groupFilter}
      GROUP BY 1, 2, 3 ORDER BY 2, 3`
  ).map(typed);

  const bucket = trendBucketOf(range);
  const trend = await db.$queryRaw<
    Array<{
      at: Date;
      dimension: "type" | "image";
      key: string | null;
      reboots: number;
      p50: number | null;
      p95: number | null;
    }>
  >`
    SELECT b.at,
      CASE WHEN grouping(b."rebootType") = 0 THEN 'type' ELSE 'image' END AS dimension,
      CASE WHEN grouping(b."rebootType") = 0 THEN b."rebootType" ELSE b."imageVersionAfter" END AS key,
      count(*)::int AS reboots,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY b."totalMs") AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY b."totalMs") AS p95
    FROM (SELECT date_trunc(${Prisma.raw(`'${bucket}'`)}, x."recordedAt") AS at, x.* FROM (${base}) x) b
    GROUP BY GROUPING SETS ((b.at, b."rebootType"), (b.at, b."imageVersionAfter", b.kind))
    HAVING grouping(b."rebootType") = 0 OR b.kind = 'soft-reboot'
    ORDER BY 1, 2, 3`;

  const escalations = await db.$queryRaw<RebootRow[]>`
    SELECT b."recordId", b."nodeId", b.hostname, b.simulated, b."recordedAt", b."rebootType", b.kind, b.requested,
      b.escalated, b."beforeLost", b.trigger, b."imageVersionBefore", b."imageVersionAfter",
      b."signalToShutdownMs", b."shutdownMs", b."bootMs", b."reconnectMs", b."totalMs"
    FROM (${base}) b WHERE b.escalated ORDER BY b."recordedAt" DESC LIMIT 50`;

  const slowestNodes = await db.$queryRaw<
    Array<{
      nodeId: string;
      hostname: string;
      simulated: boolean;
      reboots: number;
      p50: number;
      p95: number;
      max: number;
    }>
  >`
    SELECT b."nodeId", min(b.hostname) AS hostname, bool_or(b.simulated) AS simulated, count(*)::int AS reboots,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY b."totalMs") AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY b."totalMs") AS p95, max(b."totalMs") AS max
    FROM (${base}) b WHERE b."rebootType" = 'soft-reboot' AND b."totalMs" IS NOT NULL
    GROUP BY b."nodeId" ORDER BY p95 DESC, max DESC LIMIT 10`;

  const slowestServices: ServiceRow[] = await servicesOf(
    db,
    Prisma.sql`SELECT * FROM (${base}) s WHERE s."rebootType" = 'soft-reboot'`,
    { orderBySlowest: true, limit: 15 },
  );

  const maxTotal = Math.max(0, ...byType.map((s) => s.phases.totalMs.max ?? 0));
  const histogram = await totalsHistogram(db, base, niceStep(maxTotal));

  return {
    range: { ...range, groupId: range.groupId ?? null },
    bucket,
    byType,
    byImageVersion,
    byGroup,
    trend,
    escalations,
    slowestNodes,
    slowestServices,
    histogram,
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
