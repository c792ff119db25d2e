import type { Db, Prisma } from "@softfleet/db";
import { mayRollBack, rolloutPayloadStats, unfinishedRolloutStatuses, wasUpdated } from "@softfleet/fleet";
import { notFound } from "../errors";
import type { NodeCounts, RolloutViewQuery } from "../rollout-view";

const ACTIVE: string[] = [...unfinishedRolloutStatuses];

/** The newest rollouts with their nodes' progress by status. */
export async function readRolloutList(db: Db | Prisma.TransactionClient, limit: number) {
  const rollouts = await db.rollout.findMany({ orderBy: { createdAt: "desc" }, take: limit });
  const counts = await db.rolloutNode.groupBy({
    by: ["rolloutId", "status"],
    where: { rolloutId: { in: rollouts.map((r) => r.id) } },
    _count: true,
  });
  return rollouts.map((rollout) => ({
    ...rollout,
    active: ACTIVE.includes(rollout.status),
    progress: countsOf(
      counts.filter((c) => c.rolloutId === rollout.id).map((c) => ({ status: c.status, count: c._count })),
    ),
  }));
}

/** Node counts from rows of (state, count). */
function countsOf(rows: Array<{ status: string; count: number }>): NodeCounts {
  const count = (status: string) => rows.reduce((sum, r) => (r.status === status ? sum + r.count : sum), 0);
  return {
    total: rows.reduce((sum, r) => sum + r.count, 0),
    succeeded: count("succeeded"),
    failed: count("failed"),
    rolledBack: count("rolled-back") + count("rolling-back"),
    skipped: count("skipped"),
    rebooting: count("rebooting"),
    staging: count("staging") + count("staged"),
    cancelled: count("cancelled"),
  };
}

/**
 * One rollout as its page shows it, as of one moment (never a mix of two
 * engine steps): the rollout, its batches with their nodes' counts, the counts
 * of all its nodes, and one page of its nodes (those in the query's state) in
 * their batches' order, with their reboot records and stage commands.
 */
export function readRolloutView(db: Db, query: RolloutViewQuery) {
  return db.$transaction((tx) => getRollout(tx, query), { isolationLevel: "RepeatableRead" });
}

async function getRollout(db: Prisma.TransactionClient, query: RolloutViewQuery) {
  const rolloutId = query.id;
  const rollout = await db.rollout.findUnique({
    where: { id: rolloutId },
    include: {
      batches: { orderBy: { index: "asc" } },
      transitions: { orderBy: { id: "desc" }, take: 500 },
      rollbackOf: { select: { id: true, groupName: true, status: true } },
      rollbacks: { select: { id: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" }, take: 20 },
    },
  });
  if (!rollout) throw notFound(`Rollout ${rolloutId}`);
  const shown = { rolloutId, ...(query.status ? { status: query.status } : {}) };
  const [byState, matching, nodes, updatable] = await Promise.all([
    db.rolloutNode.groupBy({ by: ["batchIndex", "status"], where: { rolloutId }, _count: true }),
    db.rolloutNode.count({ where: shown }),
    db.rolloutNode.findMany({
      where: shown,
      orderBy: { position: "asc" },
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
      include: {
        node: { select: { status: true, imageVersion: true, simulated: true, inhibitors: true, revokedAt: true } },
      },
    }),
    // What "Roll back rollout" would do now: the nodes it would return, each to the image it ran before.
    db.rolloutNode.findMany({
      where: { rolloutId, status: { in: ["succeeded", "failed"] }, imageVersionBefore: { not: null } },
      orderBy: { position: "asc" },
      select: {
        status: true,
        imageVersionBefore: true,
        node: { select: { imageVersion: true, revokedAt: true } },
      },
    }),
  ]);
  const commandIds = nodes.map((n) => n.commandId).filter((c): c is string => c !== null);
  const [records, stageCommands] = await Promise.all([
    db.rebootRecord.findMany({ where: { commandId: { in: commandIds } } }),
    // Staging and staged nodes: their stage command's progress and result, for the page's bars.
    db.nodeCommand.findMany({
      where: { id: { in: commandIds }, type: "stage" },
      select: { id: true, status: true, progress: true, result: true, requestedAt: true },
    }),
  ]);
  const recordOf = new Map(records.map((r) => [r.commandId, r]));
  const stageOf = new Map(stageCommands.map((c) => [c.id, c]));
  // Each node it would return: the image it goes back to.
  const updated = updatable.flatMap((n) => (wasUpdated(n, n.node) ? [n.imageVersionBefore] : []));
  const states = byState.map((row) => ({ batchIndex: row.batchIndex, status: row.status, count: row._count }));
  return {
    ...rollout,
    batches: rollout.batches.map((batch) => ({
      ...batch,
      counts: countsOf(states.filter((row) => row.batchIndex === batch.index)),
    })),
    /** Every node of the rollout, by state. */
    counts: countsOf(states),
    /** How many nodes are in the query's state (all of them without one): the pager's total. */
    matching,
    rollback: {
      possible: mayRollBack(rollout) && updated.length > 0,
      count: updated.length,
      /** The images they go back to, each once. */
      versions: [...new Set(updated)].sort(),
    },
    payloads: await rolloutPayloadStats(db, rolloutId),
    active: ACTIVE.includes(rollout.status),
    transitions: rollout.transitions.map((t) => ({ ...t, id: t.id.toString() })),
    nodes: nodes.map((n) => {
      const record = n.commandId ? recordOf.get(n.commandId) : undefined;
      const stage = n.commandId ? stageOf.get(n.commandId) : undefined;
      return {
        ...n,
        stage: stage ? stageViewOf(stage) : null,
        record: record
          ? {
              id: record.id,
              kind: record.kind,
              escalated: record.escalated,
              imageVersionBefore: record.imageVersionBefore,
              imageVersionAfter: record.imageVersionAfter,
              timestamps: {
                signalUsec: record.signalUsec?.toString() ?? null,
                shutdownStartUsec: record.shutdownStartUsec?.toString() ?? null,
                userspaceUsec: record.userspaceUsec?.toString() ?? null,
                finishUsec: record.finishUsec?.toString() ?? null,
                agentConnectedUsec: record.agentConnectedUsec.toString(),
              },
            }
          : null,
      };
    }),
  };
}

/** A stage command as the rollout page shows it: its phase, bytes and rate, or how it ended. */
function stageViewOf(command: { status: string; progress: unknown; result: unknown; requestedAt: Date }) {
  const progress = (command.progress ?? null) as {
    phase?: string;
    bytesDone?: number;
    bytesTotal?: number | null;
    bytesPerSec?: number | null;
  } | null;
  const result = (command.result ?? null) as { outcome?: string; code?: string | null; seconds?: number } | null;
  return {
    status: command.status,
    requestedAt: command.requestedAt,
    phase: typeof progress?.phase === "string" ? progress.phase : null,
    bytesDone: typeof progress?.bytesDone === "number" ? progress.bytesDone : null,
    bytesTotal: typeof progress?.bytesTotal === "number" ? progress.bytesTotal : null,
    bytesPerSec: typeof progress?.bytesPerSec === "number" ? progress.bytesPerSec : null,
    outcome:
      result?.outcome === "staged" ? ("staged" as const) : result?.outcome === "failed" ? ("failed" as const) : null,
    seconds: typeof result?.seconds === "number" ? result.seconds : null,
  };
}
