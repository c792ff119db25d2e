import { Prisma } from "@softfleet/db";
import {
  type BatchKind,
  type BatchStatus,
  type NodeStatus,
  type RolloutSnapshot,
  type RolloutStatus,
  rolloutPlan,
  type StageOutcome,
} from "@softfleet/rollout";
import { jsonInt } from "../reports/payloads";
import { factsOf, type NodeFactsRow, outcomeOf, type RecordRow } from "./facts";
import { type FrozenNodes, FrozenNodesCache } from "./frozen";

type Tx = Prisma.TransactionClient;

/** What persisting needs beside the snapshot: names for transitions, the timer as stored. */
export interface LoadedRollout {
  snapshot: RolloutSnapshot;
  groupName: string;
  hostnames: ReadonlyMap<string, string>;
  wakeAt: Date | null;
}

type NodeRow = NodeFactsRow &
  Partial<RecordRow> & {
    nodeId: string;
    rebootStartedAt: Date | null;
    bootIdBefore: string | null;
    softRebootsCountBefore: number | null;
    imageVersionBefore: string | null;
    rollbackVersion: string | null;
    commandId: string | null;
    commandStatus: string | null;
    commandReason: string | null;
    recordKind: string | null;
    blockedSince: Date | null;
    blockedBy: string | null;
    skipInhibitors: boolean;
    /** The staging node's stage command: when it was asked for and how it ended (NodeCommand.result). */
    commandAt: Date | null;
    commandResult: unknown;
  };

const OUTCOMES = new Set(["accepted", "refused", "expired"]);

/** NodeCommand.result as the engine reads it (a malformed value counts as none yet). */
export function stageOutcomeOf(value: unknown): StageOutcome | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.outcome !== "staged" && v.outcome !== "failed") return null;
  const str = (x: unknown) => (typeof x === "string" ? x : null);
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return { outcome: v.outcome, code: str(v.code), reason: str(v.reason), bytes: num(v.bytes), seconds: num(v.seconds) };
}

/** Facts are not loaded for nodes the engine cannot act on now (done, or pending in a later batch). */
const UNLOADED = factsOf({
  nodeStatus: null,
  inhibitor: null,
  imageVersion: null,
  nextrootStaged: null,
  nextrootImageVersion: null,
  bootId: null,
  softRebootsCount: null,
  units: null,
});

/**
 * A rollout with its batches, its nodes in plan order, and for the nodes it
 * may act on now their live facts, the fate of the command the engine sent
 * them and the reboot record that answered it: in three queries, whatever the
 * number of nodes. The nodes it cannot act on now (done, or pending in a later
 * batch) come as their id, batch and status, which is all a decision needs of
 * them. With `frozen`, a rollout's ids, hostnames and batches are read once
 * and kept (they never change): later loads read only its nodes' statuses.
 * With `forUpdate`, the rollout row is locked until
 * the transaction ends, so one engine step or user action at a time changes it
 * (FOR NO KEY UPDATE: inserts of rows that reference it do not wait for it).
 */
export async function loadRollout(
  tx: Tx,
  rolloutId: string,
  { forUpdate = false, frozen }: { forUpdate?: boolean; frozen?: FrozenNodesCache } = {},
): Promise<LoadedRollout | null> {
  // The lock first, in a statement of its own: the next statements' snapshot is taken once it is held.
  const rollout = await readRollout(tx, rolloutId, forUpdate);
  if (!rollout) return null;
  const all = await readAll(tx, rolloutId, frozen);
  const live = await readLive(tx, rolloutId);
  const liveById = new Map(live.map((row) => [row.nodeId, row]));
  const { ids, batchIndexes } = all.nodes;
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));

  const snapshot: RolloutSnapshot = {
    rollout: {
      id: rollout.id,
      status: rollout.status as RolloutStatus,
      plan: rolloutPlan.parse(rollout.plan),
      approvedAt: rollout.approvedAt,
      failuresAcknowledged: rollout.failuresAcknowledged,
      rollbackOf: rollout.rollbackOfId,
    },
    batches: (all.batches ?? []).map(([index, kind, status, startedAt, finishedAt]) => ({
      index,
      kind: kind as BatchKind,
      status: status as BatchStatus,
      startedAt: date(startedAt),
      finishedAt: date(finishedAt),
    })),
    nodes: ids.map((nodeId, i) => {
      const status = all.statuses[i] as NodeStatus;
      const batchIndex = batchIndexes[i]!;
      const row = liveById.get(nodeId);
      if (!row) {
        return {
          nodeId,
          batchIndex,
          status,
          rebootStartedAt: null,
          facts: UNLOADED,
          before: null,
          commandOutcome: null,
          commandReason: null,
          record: null,
        };
      }
      return {
        nodeId,
        batchIndex,
        status,
        rebootStartedAt: row.rebootStartedAt,
        facts: factsOf(row),
        before:
          row.rebootStartedAt === null
            ? null
            : {
                bootId: row.bootIdBefore,
                softRebootsCount: row.softRebootsCountBefore,
                imageVersion: row.imageVersionBefore,
              },
        rollbackVersion: row.rollbackVersion,
        commandOutcome: OUTCOMES.has(row.commandStatus ?? "")
          ? (row.commandStatus as "accepted" | "refused" | "expired")
          : null,
        commandReason: row.commandReason,
        stage: status === "staging" ? { startedAt: row.commandAt, result: stageOutcomeOf(row.commandResult) } : null,
        blockedSince: row.blockedSince,
        blockedBy: row.blockedBy,
        skipInhibitors: row.skipInhibitors,
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
                  survivorsRestarted: row.survivorsRestarted ?? null,
                  pinnedRootKb: row.pinnedRootKb ?? null,
                  pinnedBy: row.pinnedBy ?? null,
                },
                row.units,
              )
            : null,
      };
    }),
  };
  return {
    snapshot,
    groupName: rollout.groupName,
    hostnames: all.nodes.hostnames,
    wakeAt: rollout.wakeAt,
  };
}

async function readRollout(tx: Tx, rolloutId: string, forUpdate: boolean): Promise<RolloutRow | undefined> {
  const rows = forUpdate
    ? await tx.$queryRaw<RolloutRow[]>`SELECT * FROM "Rollout" WHERE id = ${rolloutId} FOR NO KEY UPDATE`
    : await tx.$queryRaw<RolloutRow[]>`SELECT * FROM "Rollout" WHERE id = ${rolloutId}`;
  return rows[0];
}

const NO_NODES: FrozenNodes = { ids: [], batchIndexes: [], hostnames: new Map() };

/**
 * The rollout's batches and its nodes' statuses in plan order, with their
 * ids, hostnames and batches unless `frozen` has them. A node deleted since
 * they were kept (its row goes with it) shows in the count: they are read again.
 */
async function readAll(tx: Tx, rolloutId: string, frozen?: FrozenNodesCache) {
  const known = frozen?.get(rolloutId);
  if (known) {
    const [row] = await tx.$queryRaw<StatusesRow[]>`
      SELECT ${batchesSql(rolloutId)} AS batches, count(*)::int AS count,
        string_agg(rn.status, ',' ORDER BY rn.position) AS statuses
      FROM "RolloutNode" rn WHERE rn."rolloutId" = ${rolloutId}`;
    if (row && row.count === known.ids.length) {
      return { batches: row.batches, statuses: row.statuses?.split(",") ?? [], nodes: known };
    }
  }
  const [row] = await tx.$queryRaw<AllRow[]>`
    SELECT ${batchesSql(rolloutId)} AS batches,
      array_agg(rn."nodeId" ORDER BY rn.position) AS ids,
      array_agg(rn.hostname ORDER BY rn.position) AS hostnames,
      array_agg(rn."batchIndex" ORDER BY rn.position) AS "batchIndexes",
      array_agg(rn.status ORDER BY rn.position) AS statuses
    FROM "RolloutNode" rn WHERE rn."rolloutId" = ${rolloutId}`;
  if (!row?.ids) return { batches: row?.batches ?? null, statuses: [], nodes: NO_NODES };
  const ids = row.ids;
  const nodes: FrozenNodes = {
    ids,
    batchIndexes: row.batchIndexes,
    hostnames: new Map(ids.map((id, i) => [id, row.hostnames[i]!])),
  };
  frozen?.set(rolloutId, nodes);
  return { batches: row.batches, statuses: row.statuses, nodes };
}

/** [index, kind, status, startedAt ms, finishedAt ms] per batch, as one JSON array. */
const batchesSql = (rolloutId: string) => Prisma.sql`
  (SELECT json_agg(json_build_array(b.index, b.kind, b.status,
      extract(epoch FROM b."startedAt") * 1000, extract(epoch FROM b."finishedAt") * 1000) ORDER BY b.index)
    FROM "RolloutBatch" b WHERE b."rolloutId" = ${rolloutId})`;

/** The live rows of the nodes the rollout may act on now. */
async function readLive(tx: Tx, rolloutId: string) {
  return tx.$queryRaw<NodeRow[]>`
    SELECT rn."nodeId", rn."rebootStartedAt", rn."bootIdBefore", rn."softRebootsCountBefore", rn."commandId",
           rn."blockedSince", rn."blockedBy", rn."skipInhibitors", rn."imageVersionBefore", rn."rollbackVersion",
           n.status::text AS "nodeStatus", n.inhibitor, CASE WHEN rn.status = 'pending' THEN n.inhibitors END AS inhibitors, n."imageVersion", n."nextrootStaged",
           n."nextrootImageVersion", n."bootId", n."softRebootsCount",
           CASE WHEN rn.status IN ('rebooting', 'rolling-back') THEN n.units END AS units,
           c.status::text AS "commandStatus", c.reason AS "commandReason",
           c."requestedAt" AS "commandAt", c.result AS "commandResult",
           r.kind AS "recordKind", r.escalated, r."bootIdAfter", r."softRebootsCountAfter",
           r."imageVersionAfter", r."signalUsec", r."shutdownStartUsec", r."agentConnectedUsec",
           -- The payload conditions of the gate, from the record's JSON (a malformed value counts as none),
           -- worked out only for a node whose record arrived (CASE runs its subquery only then).
           CASE WHEN jsonb_typeof(r.units) = 'array' THEN (SELECT array_agg(u->>'name') FROM jsonb_array_elements(r.units) u
            WHERE u->'survives' = 'true'::jsonb AND u->>'outcome' IN ('restarted', 'absent')) END AS "survivorsRestarted",
           ${jsonInt(Prisma.sql`r."pinnedRoot"->'pssKb'`)} AS "pinnedRootKb",
           CASE WHEN jsonb_typeof(r."pinnedRoot"->'processes') = 'array' THEN (SELECT array_agg(DISTINCT
              COALESCE(p->>'unit', p->>'comm')) FROM jsonb_array_elements(r."pinnedRoot"->'processes') p) END AS "pinnedBy"
    FROM "RolloutNode" rn
    LEFT JOIN "Node" n ON n.id = rn."nodeId"
    LEFT JOIN "NodeCommand" c ON c.id = rn."commandId" AND rn.status IN ('rebooting', 'staging', 'rolling-back')
    LEFT JOIN LATERAL (
      SELECT rr.kind, rr.escalated, rr."bootIdAfter", rr."softRebootsCountAfter", rr."imageVersionAfter",
        rr."signalUsec", rr."shutdownStartUsec", rr."agentConnectedUsec", rr.units, rr."pinnedRoot"
      FROM "RebootRecord" rr WHERE rr."commandId" = rn."commandId" ORDER BY rr."recordedAt" LIMIT 1
    ) r ON rn."commandId" IS NOT NULL AND rn.status IN ('rebooting', 'rolling-back')
    -- Rebooting nodes, and pending ones of the first unfinished batch and the next (one step may
    -- finish a batch and start the next); commands and records only for rebooting ones.
    WHERE rn."rolloutId" = ${rolloutId} AND (
      rn.status IN ('rebooting', 'staging', 'rolling-back') OR (rn.status IN ('pending', 'staged') AND rn."batchIndex" <= 1 + (
        SELECT COALESCE(min(b.index), 0) FROM "RolloutBatch" b
        WHERE b."rolloutId" = ${rolloutId} AND b.status IN ('pending', 'running', 'settling')
      ))
    )`;
}

/**
 * Runs a step's queries once on a rollout that does not exist: a new engine's
 * first real step then finds its connection's plans and catalog caches warm.
 */
export async function warmUpLoad(tx: Tx): Promise<void> {
  await readRollout(tx, "", true);
  const kept = new FrozenNodesCache();
  kept.set("", NO_NODES);
  await readAll(tx, "", kept);
  await readAll(tx, "");
  await readLive(tx, "");
}

type BatchTuple = [number, string, string, number | null, number | null];

interface StatusesRow {
  batches: BatchTuple[] | null;
  count: number;
  statuses: string | null;
}

interface AllRow {
  batches: BatchTuple[] | null;
  ids: string[] | null;
  hostnames: string[];
  batchIndexes: number[];
  statuses: string[];
}

interface RolloutRow {
  id: string;
  status: string;
  plan: unknown;
  approvedAt: Date | null;
  failuresAcknowledged: number;
  rollbackOfId: string | null;
  groupName: string;
  wakeAt: Date | null;
}
