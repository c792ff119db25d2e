import { Prisma } from "@softfleet/db";
import { whyNoTotal } from "./explain";
import { clientGapStats, type PayloadStats, payloadStats, pinnedNodes, survivorUnits } from "./payloads";
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

/**
 * A rollout's nodes joined to the reboot record of each one's command (the
 * first, should there be two). A record comes after its command was asked for:
 * that bound keeps the lookup to the months since (records are partitioned by
 * month), and the records' joins below go by (id, recordedAt) for the same reason.
 */
const nodesSql = (rolloutId: string) => Prisma.sql`
  SELECT rn."nodeId", rn.hostname, n.simulated, rn.position, rn."batchIndex", rn.status, rn.reason, rn."commandId",
    r.id AS "recordId", r."recordedAt", r.requested, r.escalated, r."beforeLost", r.trigger,
    r."imageVersionBefore", r."imageVersionAfter", ${phaseColumns}
  FROM "RolloutNode" rn
  JOIN "Node" n ON n.id = rn."nodeId"
  LEFT JOIN "NodeCommand" c ON c.id = rn."commandId"
  LEFT JOIN LATERAL (
    SELECT * FROM "RebootRecord" x
    WHERE x."commandId" = rn."commandId" AND x."recordedAt" >= COALESCE(c."requestedAt", '-infinity'::timestamp)
    ORDER BY x."recordedAt" LIMIT 1
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
  const slowUnits = await slowestUnits(db, base);
  const [payloadsAll] = await payloadStats(db, base);
  const payloads = {
    ...payloadsAll!,
    units: await survivorUnits(db, base),
    pinned: await pinnedNodes(db, base),
    clientGaps: await clientGapStats(db, base),
  };

  return {
    rollout: {
      id: rollout.id,
      groupId: rollout.groupId,
      groupName: rollout.groupName,
      status: rollout.status,
      statusReason: rollout.statusReason,
      rollbackOfId: rollout.rollbackOfId,
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
    slowUnits,
    /** Surviving units kept running, and nodes whose old root was still held (with its size). */
    payloads,
  };
}

/** One unit among the slowest to stop (or start) in a set of reboots. */
export interface SlowUnitRow {
  name: string;
  /** In how many of the reboots it was among the ten slowest (all a record keeps). */
  reboots: number;
  p50Ms: number;
  maxMs: number;
}

/**
 * The units slowest to stop and to start across the reboots of `base` (rows
 * with a recordId), from each record's unit blame: the ten with the longest
 * worst case, each with how often it was among a record's ten slowest. A
 * stored blame that is not the expected shape is skipped, never an error.
 */
export async function slowestUnits(db: Sql, base: Prisma.Sql): Promise<{ stop: SlowUnitRow[]; start: SlowUnitRow[] }> {
  const rows = await db.$queryRaw<Array<SlowUnitRow & { phase: "stop" | "start" }>>`
    WITH timed AS (
      SELECT p.phase, e->>'name' AS name, (e->>'ms')::float8 AS ms
      FROM (${base}) b
      JOIN "RebootRecord" r ON r.id = b."recordId" AND r."recordedAt" = b."recordedAt"
      CROSS JOIN (VALUES ('stop'), ('start')) p(phase)
      CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(r.blame -> p.phase) = 'array' THEN r.blame -> p.phase ELSE '[]'::jsonb END
      ) e
      WHERE jsonb_typeof(e -> 'ms') = 'number' AND jsonb_typeof(e -> 'name') = 'string'
    ), ranked AS (
      SELECT phase, name, count(*)::int AS reboots,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS "p50Ms", max(ms) AS "maxMs",
        row_number() OVER (PARTITION BY phase ORDER BY max(ms) DESC, name) AS rank
      FROM timed GROUP BY phase, name
    )
    SELECT phase, name, reboots, "p50Ms", "maxMs" FROM ranked WHERE rank <= 10 ORDER BY phase, rank`;
  const of = (phase: "stop" | "start") =>
    rows.filter((row) => row.phase === phase).map(({ phase: _phase, ...row }) => row);
  return { stop: of("stop"), start: of("start") };
}

export type RolloutReport = NonNullable<Awaited<ReturnType<typeof rolloutReport>>>;

/** The rollout's payload figures so far (for its live page): kept running X of Y, nodes with a pinned old root. */
export async function rolloutPayloadStats(db: Sql, rolloutId: string): Promise<PayloadStats> {
  const [all] = await payloadStats(db, nodesSql(rolloutId));
  return all!;
}

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
