import type { Db, Prisma } from "@softfleet/db";
import { mayRollBack, rolloutPayloadStats, unfinishedRolloutStatuses, wasUpdated } from "@softfleet/fleet";
import { notFound } from "../errors";

const ACTIVE: string[] = [...unfinishedRolloutStatuses];

/** The newest rollouts with their nodes' progress by status. */
export async function readRolloutList(db: Db | Prisma.TransactionClient, limit: number) {
  const rollouts = await db.rollout.findMany({ orderBy: { createdAt: "desc" }, take: limit });
  const counts = await db.rolloutNode.groupBy({
    by: ["rolloutId", "status"],
    where: { rolloutId: { in: rollouts.map((r) => r.id) } },
    _count: true,
  });
  return rollouts.map((rollout) => {
    const mine = counts.filter((c) => c.rolloutId === rollout.id);
    const count = (status: string) => mine.find((c) => c.status === status)?._count ?? 0;
    const total = mine.reduce((sum, c) => sum + c._count, 0);
    return {
      ...rollout,
      active: ACTIVE.includes(rollout.status),
      progress: {
        total,
        succeeded: count("succeeded"),
        failed: count("failed"),
        rolledBack: count("rolled-back") + count("rolling-back"),
        skipped: count("skipped"),
        rebooting: count("rebooting"),
        staging: count("staging") + count("staged"),
        cancelled: count("cancelled"),
      },
    };
  });
}

/** One rollout as its page shows it, as of one moment: never a mix of two engine steps. */
export function readRolloutView(db: Db, rolloutId: string) {
  return db.$transaction((tx) => getRollout(tx, rolloutId), { isolationLevel: "RepeatableRead" });
}

async function getRollout(db: Prisma.TransactionClient, rolloutId: string) {
  const rollout = await db.rollout.findUnique({
    where: { id: rolloutId },
    include: {
      batches: { orderBy: { index: "asc" } },
      nodes: {
        orderBy: { position: "asc" },
        include: {
          node: { select: { status: true, imageVersion: true, simulated: true, inhibitors: true, revokedAt: true } },
        },
      },
      transitions: { orderBy: { id: "desc" }, take: 500 },
      rollbackOf: { select: { id: true, groupName: true, status: true } },
      rollbacks: { select: { id: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" }, take: 20 },
    },
  });
  if (!rollout) throw notFound(`Rollout ${rolloutId}`);
  const commandIds = rollout.nodes.map((n) => n.commandId).filter((c): c is string => c !== null);
  const records = await db.rebootRecord.findMany({ where: { commandId: { in: commandIds } } });
  const recordOf = new Map(records.map((r) => [r.commandId, r]));
  // Staging and staged nodes: their stage command's progress and result, for the page's bars.
  const stageCommands = await db.nodeCommand.findMany({
    where: { id: { in: commandIds }, type: "stage" },
    select: { id: true, status: true, progress: true, result: true, requestedAt: true },
  });
  const stageOf = new Map(stageCommands.map((c) => [c.id, c]));
  // What "Roll back rollout" would do now: the nodes it would return, and the image each goes back to.
  const updated = rollout.nodes.flatMap((n) =>
    wasUpdated(n, n.node) ? [{ hostname: n.hostname, version: n.imageVersionBefore }] : [],
  );
  return {
    ...rollout,
    rollback: { possible: mayRollBack(rollout) && updated.length > 0, nodes: updated },
    payloads: await rolloutPayloadStats(db, rolloutId),
    active: ACTIVE.includes(rollout.status),
    transitions: rollout.transitions.map((t) => ({ ...t, id: t.id.toString() })),
    nodes: rollout.nodes.map((n) => {
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
