import { Prisma } from "@softfleet/db";
import {
  type BatchKind,
  type BatchStatus,
  type NodeStatus,
  type RolloutNode,
  type RolloutSnapshot,
  type RolloutStatus,
  rolloutPlan,
  type StageOutcome,
} from "@softfleet/rollout";
import { jsonInt } from "../reports/payloads";
import { factsOf, type NodeFactsRow, outcomeOf, type RecordRow } from "./facts";
import { type FrozenNodes, FrozenNodesCache } from "./frozen";
import { LiveRowsCache } from "./live-rows";

type Tx = Prisma.TransactionClient;

/** What persisting needs beside the snapshot: names for transitions, the timer as stored. */
export interface LoadedRollout {
  snapshot: RolloutSnapshot;
  groupName: string;
  hostnames: ReadonlyMap<string, string>;
  wakeAt: Date | null;
  /**
   * The last batch whose waiting nodes (pending, staged) came with their
   * facts; later batches' waiting nodes came as their status alone (see
   * loadBatchFacts). Nodes in flight always come with theirs.
   */
  factsThrough: number;
  /** The rollout's revision as loaded (see Rollout.revision). */
  revision: number;
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

const BATCH_OPEN = new Set(["pending", "running", "settling"]);

/**
 * A rollout with its batches, its nodes in plan order, and for the nodes it
 * may act on now their live facts, the fate of the command the engine sent
 * them and the reboot record that answered it: in three queries, whatever the
 * number of nodes. The nodes it may act on now are those in flight and those
 * waiting in the first unfinished batch (and, when the plan stages an image
 * ahead, in the next one). The others (done, or waiting in a later batch)
 * come as their id, batch and status, which is all a decision needs of them
 * until it starts their batch: then loadBatchFacts adds theirs. With
 * `frozen`, a rollout's ids, hostnames and batches are read once and kept
 * (they never change): later loads read only its nodes' statuses, and not
 * those either while the rollout's revision says none was written since.
 * With `liveRows`, the live rows of nodes whose change was not announced
 * since they were read are not read again (see LiveRowsCache). With
 * `forUpdate`, the rollout row is locked until the transaction ends, so one
 * engine step or user action at a time changes it (FOR NO KEY UPDATE:
 * inserts of rows that reference it do not wait for it).
 */
export async function loadRollout(
  tx: Tx,
  rolloutId: string,
  { forUpdate = false, frozen, liveRows }: { forUpdate?: boolean; frozen?: FrozenNodesCache; liveRows?: LiveRows } = {},
): Promise<LoadedRollout | null> {
  // The lock first, in a statement of its own: the next statements' snapshot is taken once it is held.
  const rollout = await readRollout(tx, rolloutId, forUpdate);
  if (!rollout) return null;
  const plan = rolloutPlan.parse(rollout.plan);
  const all = await readAll(tx, rolloutId, rollout.revision, frozen);
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  const batches = (all.batches ?? []).map(([index, kind, status, startedAt, finishedAt]) => ({
    index,
    kind: kind as BatchKind,
    status: status as BatchStatus,
    startedAt: date(startedAt),
    finishedAt: date(finishedAt),
  }));
  const open = batches.find((b) => BATCH_OPEN.has(b.status))?.index ?? 0;
  // Staging ahead works on the next batch's waiting nodes too.
  const factsThrough = open + (plan.image ? 1 : 0);
  const { ids, batchIndexes } = all.nodes;
  const needed = ids.filter((_, i) => {
    const status = all.statuses[i]!;
    return IN_FLIGHT.has(status) || (WAITING.has(status) && batchIndexes[i]! <= factsThrough);
  });
  const live = await liveRowsOf(tx, rolloutId, needed, liveRows);
  const liveById = new Map(live.map((row) => [row.nodeId, row]));
  const snapshot: RolloutSnapshot = {
    rollout: {
      id: rollout.id,
      status: rollout.status as RolloutStatus,
      plan,
      approvedAt: rollout.approvedAt,
      failuresAcknowledged: rollout.failuresAcknowledged,
      rollbackOf: rollout.rollbackOfId,
    },
    batches,
    nodes: nodesOf(all.nodes, all.statuses, liveById),
    ...(rollout.externalHolds ? { externalHolds: rollout.externalHolds } : {}),
  };
  return {
    snapshot,
    groupName: rollout.groupName,
    hostnames: all.nodes.hostnames,
    wakeAt: rollout.wakeAt,
    factsThrough,
    revision: rollout.revision,
  };
}

/**
 * The statuses an engine read or wrote for a rollout's kept nodes, with the
 * rollout's revision then: while it is unchanged, no status was written since
 * (every write bumps it, in the statement that writes them), and a step
 * reads none of them again.
 */
const keptStatuses = new WeakMap<FrozenNodes, { revision: number; statuses: string[] }>();

/**
 * After a step wrote `after` (persistRollout bumps the revision by one in the
 * same statement): its statuses are kept with the revision they have once the
 * step commits. If it does not, the revision read next differs, and they are
 * read again.
 */
export function keepWrittenStatuses(
  frozen: FrozenNodesCache | undefined,
  loaded: LoadedRollout,
  after: RolloutSnapshot,
) {
  const known = frozen?.get(loaded.snapshot.rollout.id);
  if (!known || known.ids.length !== after.nodes.length) return;
  keptStatuses.set(known, { revision: loaded.revision + 1, statuses: after.nodes.map((n) => n.status) });
}

/** The rows the engine keeps between its steps (see LiveRowsCache). */
export type LiveRows = LiveRowsCache<NodeRow>;

export function liveRowsCache(): LiveRows {
  return new LiveRowsCache<NodeRow>();
}

const IN_FLIGHT = new Set(["rebooting", "staging", "rolling-back"]);
const WAITING = new Set(["pending", "staged"]);

/** The live rows of these nodes: those `kept` has fresh, the others read. */
async function liveRowsOf(tx: Tx, rolloutId: string, nodeIds: string[], kept?: LiveRows): Promise<NodeRow[]> {
  if (!kept) return nodeIds.length > 0 ? readLive(tx, rolloutId, nodeIds) : [];
  const { kept: fresh, toRead } = kept.take(rolloutId, nodeIds);
  const read = toRead.length > 0 ? await readLive(tx, rolloutId, toRead) : [];
  kept.keep(rolloutId, read);
  return fresh.length === 0 ? read : [...fresh, ...read];
}

/**
 * The rollout with the facts of its waiting nodes through batch `through`
 * added (in the same transaction as loadRollout): for a decision that starts
 * a batch whose nodes came without theirs.
 */
export async function loadBatchFacts(
  tx: Tx,
  loaded: LoadedRollout,
  through: number,
  liveRows?: LiveRows,
): Promise<LoadedRollout> {
  if (through <= loaded.factsThrough) return loaded;
  const { snapshot } = loaded;
  const waiting = snapshot.nodes
    .filter((n) => WAITING.has(n.status) && n.batchIndex > loaded.factsThrough && n.batchIndex <= through)
    .map((n) => n.nodeId);
  const rows = await liveRowsOf(tx, snapshot.rollout.id, waiting, liveRows);
  const byId = new Map(rows.map((row) => [row.nodeId, row]));
  const nodes = snapshot.nodes.map((node) => {
    const row = byId.get(node.nodeId);
    return row ? nodeOf(node.nodeId, node.batchIndex, node.status, row) : node;
  });
  return { ...loaded, snapshot: { ...snapshot, nodes }, factsThrough: through };
}

/**
 * The last snapshot's nodes of a rollout, with the rows they were made of:
 * a node whose status and row are the same is the same object again (a
 * snapshot is never changed, only copied), and a step of 10,000 nodes makes
 * a few new ones, not 10,000.
 */
const lastNodes = new WeakMap<FrozenNodes, { nodes: RolloutNode[]; rows: Array<NodeRow | undefined> }>();

function nodesOf(frozen: FrozenNodes, statuses: readonly string[], liveById: ReadonlyMap<string, NodeRow>) {
  const last = lastNodes.get(frozen);
  const rows = frozen.ids.map((nodeId) => liveById.get(nodeId));
  const nodes = frozen.ids.map((nodeId, i) => {
    const status = statuses[i] as NodeStatus;
    const before = last?.nodes[i];
    if (before && before.status === status && last.rows[i] === rows[i]) return before;
    return nodeOf(nodeId, frozen.batchIndexes[i]!, status, rows[i]);
  });
  lastNodes.set(frozen, { nodes, rows });
  return nodes;
}

/** A node of the snapshot: with its live row, or (not loaded) its id, batch and status alone. */
function nodeOf(nodeId: string, batchIndex: number, status: NodeStatus, row: NodeRow | undefined): RolloutNode {
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
}

async function readRollout(tx: Tx, rolloutId: string, forUpdate: boolean): Promise<RolloutRow | undefined> {
  // With the group's unreleased FleetLock holds (a few at most: the partial unique index keeps one per client).
  const holds = Prisma.sql`(SELECT array_agg(COALESCE(h."nodeId", h.id) ORDER BY h."lockedAt")
      FROM "FleetLockHold" h WHERE h."groupId" = r."groupId" AND h."releasedAt" IS NULL) AS "externalHolds"`;
  const rows = forUpdate
    ? await tx.$queryRaw<
        RolloutRow[]
      >`SELECT r.*, ${holds} FROM "Rollout" r WHERE r.id = ${rolloutId} FOR NO KEY UPDATE OF r`
    : await tx.$queryRaw<RolloutRow[]>`SELECT r.*, ${holds} FROM "Rollout" r WHERE r.id = ${rolloutId}`;
  return rows[0];
}

const NO_NODES: FrozenNodes = { ids: [], batchIndexes: [], hostnames: new Map() };

/**
 * The rollout's batches and its nodes' statuses in plan order, with their
 * ids, hostnames and batches unless `frozen` has them. A node deleted since
 * they were kept (its row goes with it) shows in the count: they are read again.
 */
async function readAll(tx: Tx, rolloutId: string, revision: number, frozen?: FrozenNodesCache) {
  const known = frozen?.get(rolloutId);
  const kept = known ? keptStatuses.get(known) : undefined;
  if (known && kept?.revision === revision) {
    // No status was written since they were kept: only the batches, and the count for a node deleted.
    const [row] = await tx.$queryRaw<StatusesRow[]>`
      SELECT ${batchesSql(rolloutId)} AS batches, count(*)::int AS count, NULL AS statuses
      FROM "RolloutNode" rn WHERE rn."rolloutId" = ${rolloutId}`;
    if (row && row.count === known.ids.length) return { batches: row.batches, statuses: kept.statuses, nodes: known };
  } else if (known) {
    const [row] = await tx.$queryRaw<StatusesRow[]>`
      SELECT ${batchesSql(rolloutId)} AS batches, count(*)::int AS count,
        string_agg(rn.status, ',' ORDER BY rn.position) AS statuses
      FROM "RolloutNode" rn WHERE rn."rolloutId" = ${rolloutId}`;
    if (row && row.count === known.ids.length) {
      const statuses = row.statuses?.split(",") ?? [];
      keptStatuses.set(known, { revision, statuses });
      return { batches: row.batches, statuses, nodes: known };
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
  if (frozen) keptStatuses.set(nodes, { revision, statuses: row.statuses });
  return { batches: row.batches, statuses: row.statuses, nodes };
}

/** [index, kind, status, startedAt ms, finishedAt ms] per batch, as one JSON array. */
const batchesSql = (rolloutId: string) => Prisma.sql`
  (SELECT json_agg(json_build_array(b.index, b.kind, b.status,
      extract(epoch FROM b."startedAt") * 1000, extract(epoch FROM b."finishedAt") * 1000) ORDER BY b.index)
    FROM "RolloutBatch" b WHERE b."rolloutId" = ${rolloutId})`;

/** The live rows of these nodes of the rollout. */
async function readLive(tx: Tx, rolloutId: string, nodeIds: string[]) {
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
    -- Commands only for nodes in flight or staging, records only for nodes in flight.
    WHERE rn."rolloutId" = ${rolloutId} AND rn."nodeId" = ANY(${nodeIds}::text[])`;
}

/**
 * Runs a step's queries once on a rollout that does not exist: a new engine's
 * first real step then finds its connection's plans and catalog caches warm.
 */
export async function warmUpLoad(tx: Tx): Promise<void> {
  await readRollout(tx, "", true);
  const kept = new FrozenNodesCache();
  kept.set("", { ids: [], batchIndexes: [], hostnames: new Map() });
  await readAll(tx, "", 0, kept);
  await readAll(tx, "", 0, kept);
  await readAll(tx, "", 0);
  await readLive(tx, "", []);
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
  revision: number;
  status: string;
  plan: unknown;
  approvedAt: Date | null;
  failuresAcknowledged: number;
  rollbackOfId: string | null;
  groupName: string;
  wakeAt: Date | null;
  externalHolds: string[] | null;
}
