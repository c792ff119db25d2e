import type { Prisma } from "@softfleet/db";
import {
  type BatchKind,
  type BatchStatus,
  type NodeStatus,
  type RolloutSnapshot,
  type RolloutStatus,
  rolloutPlan,
} from "@softfleet/rollout";
import { factsOf, type NodeFactsRow, outcomeOf, type RecordRow } from "./facts";

type Tx = Prisma.TransactionClient;

/** What persisting needs beside the snapshot: names for transitions, the timer as stored. */
export interface LoadedRollout {
  snapshot: RolloutSnapshot;
  groupName: string;
  hostnames: Map<string, string>;
  wakeAt: Date | null;
}

type NodeRow = NodeFactsRow &
  Partial<RecordRow> & {
    nodeId: string;
    hostname: string;
    batchIndex: number;
    status: string;
    rebootStartedAt: Date | null;
    bootIdBefore: string | null;
    softRebootsCountBefore: number | null;
    commandId: string | null;
    commandStatus: string | null;
    commandReason: string | null;
    recordKind: string | null;
  };

const OUTCOMES = new Set(["accepted", "refused", "expired"]);

/**
 * A rollout with its batches, its nodes in plan order, the live facts of the nodes it may act on now,
 * the fate of the command the engine sent it and the reboot record that
 * answered it: in three queries, whatever the number of nodes. With
 * `forUpdate`, the rollout row is locked until the transaction ends, so one
 * engine step or user action at a time changes it.
 */
export async function loadRollout(
  tx: Tx,
  rolloutId: string,
  { forUpdate = false } = {},
): Promise<LoadedRollout | null> {
  const rollouts = forUpdate
    ? await tx.$queryRaw<RolloutRow[]>`SELECT * FROM "Rollout" WHERE id = ${rolloutId} FOR UPDATE`
    : await tx.$queryRaw<RolloutRow[]>`SELECT * FROM "Rollout" WHERE id = ${rolloutId}`;
  const rollout = rollouts[0];
  if (!rollout) return null;
  const batches = await tx.rolloutBatch.findMany({ where: { rolloutId }, orderBy: { index: "asc" } });
  const nodes = await tx.$queryRaw<NodeRow[]>`
    SELECT rn."nodeId", rn.hostname, rn."batchIndex", rn.status, rn."rebootStartedAt",
           rn."bootIdBefore", rn."softRebootsCountBefore", rn."commandId",
           n.status::text AS "nodeStatus", n.inhibitor, n."imageVersion", n."nextrootStaged",
           n."nextrootImageVersion", n."bootId", n."softRebootsCount",
           CASE WHEN rn.status = 'rebooting' THEN n.units END AS units,
           c.status::text AS "commandStatus", c.reason AS "commandReason",
           r.kind AS "recordKind", r.escalated, r."bootIdAfter", r."softRebootsCountAfter",
           r."imageVersionAfter", r."signalUsec", r."shutdownStartUsec", r."agentConnectedUsec"
    FROM "RolloutNode" rn
    -- Facts matter only for rebooting nodes and for pending ones of the first unfinished batch and the
    -- next (one step may finish a batch and start the next); commands and records only for rebooting ones.
    LEFT JOIN "Node" n ON n.id = rn."nodeId" AND (
      rn.status = 'rebooting' OR (rn.status = 'pending' AND rn."batchIndex" <= 1 + (
        SELECT COALESCE(min(b.index), 0) FROM "RolloutBatch" b
        WHERE b."rolloutId" = ${rolloutId} AND b.status IN ('pending', 'running', 'settling')
      ))
    )
    LEFT JOIN "NodeCommand" c ON c.id = rn."commandId" AND rn.status = 'rebooting'
    LEFT JOIN LATERAL (
      SELECT * FROM "RebootRecord" rr WHERE rr."commandId" = rn."commandId" ORDER BY rr."recordedAt" LIMIT 1
    ) r ON rn."commandId" IS NOT NULL AND rn.status = 'rebooting'
    WHERE rn."rolloutId" = ${rolloutId}
    ORDER BY rn.position`;

  const snapshot: RolloutSnapshot = {
    rollout: {
      id: rollout.id,
      status: rollout.status as RolloutStatus,
      plan: rolloutPlan.parse(rollout.plan),
      approvedAt: rollout.approvedAt,
      failuresAcknowledged: rollout.failuresAcknowledged,
    },
    batches: batches.map((b) => ({
      index: b.index,
      kind: b.kind as BatchKind,
      status: b.status as BatchStatus,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
    })),
    nodes: nodes.map((row) => ({
      nodeId: row.nodeId,
      batchIndex: row.batchIndex,
      status: row.status as NodeStatus,
      rebootStartedAt: row.rebootStartedAt,
      facts: factsOf(row),
      before:
        row.rebootStartedAt === null
          ? null
          : { bootId: row.bootIdBefore, softRebootsCount: row.softRebootsCountBefore },
      commandOutcome: OUTCOMES.has(row.commandStatus ?? "")
        ? (row.commandStatus as "accepted" | "refused" | "expired")
        : null,
      commandReason: row.commandReason,
      record:
        row.recordKind && row.bootIdAfter && row.agentConnectedUsec !== undefined && row.agentConnectedUsec !== null
          ? outcomeOf(
              {
                kind: row.recordKind,
                escalated: row.escalated ?? false,
                bootIdAfter: row.bootIdAfter,
                softRebootsCountAfter: row.softRebootsCountAfter ?? null,
                imageVersionAfter: row.imageVersionAfter ?? null,
                signalUsec: row.signalUsec ?? null,
                shutdownStartUsec: row.shutdownStartUsec ?? null,
                agentConnectedUsec: row.agentConnectedUsec,
              },
              row.units,
            )
          : null,
    })),
  };
  return {
    snapshot,
    groupName: rollout.groupName,
    hostnames: new Map(nodes.map((n) => [n.nodeId, n.hostname])),
    wakeAt: rollout.wakeAt,
  };
}

interface RolloutRow {
  id: string;
  status: string;
  plan: unknown;
  approvedAt: Date | null;
  failuresAcknowledged: number;
  groupName: string;
  wakeAt: Date | null;
}
