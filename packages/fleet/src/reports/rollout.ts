import { Prisma } from "@softfleet/db";
import { whyNoTotal } from "./explain";
import { type ServiceRow, servicesOf } from "./services";
import {
  type HistogramBucket,
  niceStep,
  type PhaseStats,
  phaseColumns,
  phaseStatsOf,
  type RebootType,
  type Sql,
  type StatRow,
  statColumns,
} from "./sql";

/** One node of a rollout with its reboot (if any) and its phases. */
export interface RolloutReportNode {
  nodeId: string;
  hostname: string;
  simulated: boolean;
  position: number;
  batchIndex: number;
  status: string;
  reason: string | null;
  commandId: string | null;
  recordId: string | null;
  recordedAt: Date | null;
  rebootType: RebootType | null;
  requested: string | null;
  escalated: boolean | null;
  beforeLost: boolean | null;
  trigger: string | null;
  imageVersionBefore: string | null;
  imageVersionAfter: string | null;
  signalToShutdownMs: number | null;
  shutdownMs: number | null;
  bootMs: number | null;
  reconnectMs: number | null;
  totalMs: number | null;
  /** Why there is no total (no record, or too few timestamps); null when there is one. */
  missingTotal: string | null;
}

export interface RolloutPhaseStats {
  /** null: the whole rollout. */
  batchIndex: number | null;
  rebootType: RebootType;
  reboots: number;
  phases: PhaseStats;
}

/** A rollout's nodes joined to the reboot record of each one's command (the first, should there be two). */
const nodesSql = (rolloutId: string) => Prisma.sql`
  SELECT rn."nodeId", rn.hostname, n.simulated, rn.position, rn."batchIndex", rn.status, rn.reason, rn."commandId",
    r.id AS "recordId", r."recordedAt", r.requested, r.escalated, r."beforeLost", r.trigger,
    r."imageVersionBefore", r."imageVersionAfter", ${phaseColumns}
  FROM "RolloutNode" rn
  JOIN "Node" n ON n.id = rn."nodeId"
  LEFT JOIN LATERAL (
    SELECT * FROM "RebootRecord" x WHERE x."commandId" = rn."commandId" ORDER BY x."recordedAt" LIMIT 1
  ) r ON true
  WHERE rn."rolloutId" = ${rolloutId}`;

/**
 * Everything the rollout report shows, computed in Postgres: the nodes by
 * total downtime, phase percentiles for the rollout and per batch (by reboot
 * type: full reboots have no shutdown phases and are never mixed in with
 * soft-reboots), a histogram of totals, the services and the image versions.
 * Null when the rollout does not exist. Run it in one snapshot (RepeatableRead).
 */
export async function rolloutReport(db: Sql & Pick<Prisma.TransactionClient, "rollout">, rolloutId: string) {
  const rollout = await db.rollout.findUnique({
    where: { id: rolloutId },
    include: { batches: { orderBy: { index: "asc" } } },
  });
  if (!rollout) return null;
  const base = nodesSql(rolloutId);

  const nodeRows = await db.$queryRaw<Array<Omit<RolloutReportNode, "missingTotal">>>`
    SELECT * FROM (${base}) b ORDER BY b."totalMs" DESC NULLS LAST, b.position`;
  const nodes: RolloutReportNode[] = nodeRows.map((row) => ({ ...row, missingTotal: whyNoTotal(row) }));

  const statRows = await db.$queryRaw<
    Array<StatRow & { batchIndex: number | null; rebootType: RebootType; reboots: number }>
  >`
    SELECT CASE WHEN grouping(b."batchIndex") = 1 THEN NULL ELSE b."batchIndex" END AS "batchIndex",
      b."rebootType", count(*)::int AS reboots, ${statColumns}
    FROM (${base}) b WHERE b."recordId" IS NOT NULL
    GROUP BY GROUPING SETS ((b."rebootType"), (b."batchIndex", b."rebootType"))
    ORDER BY 1 NULLS FIRST, 2`;
  const stats: RolloutPhaseStats[] = statRows.map((row) => ({
    batchIndex: row.batchIndex,
    rebootType: row.rebootType,
    reboots: row.reboots,
    phases: phaseStatsOf(row),
  }));

  const maxTotal = Math.max(0, ...stats.filter((s) => s.batchIndex === null).map((s) => s.phases.totalMs.max ?? 0));
  const histogram = await totalsHistogram(db, base, niceStep(maxTotal));

  const statusRows = await db.$queryRaw<Array<{ status: string; reason: string | null; nodes: number }>>`
    SELECT status, reason, count(*)::int AS nodes FROM "RolloutNode" WHERE "rolloutId" = ${rolloutId}
    GROUP BY status, reason ORDER BY status, nodes DESC`;

  const imageVersions = await db.$queryRaw<
    Array<{ imageVersionBefore: string | null; imageVersionAfter: string | null; nodes: number }>
  >`
    SELECT b."imageVersionBefore", b."imageVersionAfter", count(*)::int AS nodes
    FROM (${base}) b WHERE b."recordId" IS NOT NULL GROUP BY 1, 2 ORDER BY nodes DESC`;

  const services: ServiceRow[] = await servicesOf(db, base, { withHosts: true });

  return {
    rollout: {
      id: rollout.id,
      groupId: rollout.groupId,
      groupName: rollout.groupName,
      status: rollout.status,
      statusReason: rollout.statusReason,
      createdByName: rollout.createdByName,
      createdAt: rollout.createdAt,
      finishedAt: rollout.finishedAt,
      batches: rollout.batches.map((b) => ({ index: b.index, kind: b.kind, status: b.status })),
    },
    nodes,
    stats,
    histogram,
    statuses: statusRows,
    imageVersions,
    services,
  };
}

export type RolloutReport = NonNullable<Awaited<ReturnType<typeof rolloutReport>>>;

/** Totals counted per bucket of `step` ms, per reboot type. */
export async function totalsHistogram(db: Sql, base: Prisma.Sql, step: number): Promise<HistogramBucket[]> {
  const rows = await db.$queryRaw<Array<{ rebootType: RebootType; bucket: number; count: number }>>`
    SELECT b."rebootType", floor(b."totalMs" / ${step}::float8)::int AS bucket, count(*)::int AS count
    FROM (${base}) b WHERE b."totalMs" IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1`;
  return rows.map((row) => ({
    rebootType: row.rebootType,
    fromMs: row.bucket * step,
    toMs: (row.bucket + 1) * step,
    count: row.count,
  }));
}
