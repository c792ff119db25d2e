import type { Prisma } from "@softfleet/db";
import {
  actOnRollout,
  createRollout,
  mayRollBack,
  previewRollout,
  RolloutActionError,
  RolloutPlanError,
  rollBackRollout,
  rolloutPayloadStats,
  skipNodeInhibitors,
  unfinishedRolloutStatuses,
  wasUpdated,
} from "@softfleet/fleet";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audited } from "../audit";
import { notFound } from "../errors";
import { id } from "../schemas";
import { operatorProcedure, router, viewerProcedure } from "../trpc";

/** The plan is validated by @softfleet/rollout (each issue names its field); here it is any JSON object. */
const planInput = z.record(z.string(), z.unknown());
const target = (rollout: { id: string; groupName: string }) => ({
  type: "rollout",
  id: rollout.id,
  name: rollout.groupName,
});

/** A refused plan as a BAD_REQUEST whose fieldErrors name each field. */
function planRefused(error: unknown): never {
  if (error instanceof RolloutPlanError) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `Cannot start this rollout: ${error.message}`, cause: error });
  }
  throw error;
}

const ACTIVE: string[] = [...unfinishedRolloutStatuses];
const ACTION_AUDIT = {
  pause: "rollout.paused",
  resume: "rollout.resumed",
  approve: "rollout.approved",
  abort: "rollout.aborted",
} as const;

export const rolloutsRouter = router({
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .query(async ({ ctx, input }) => {
      const rollouts = await ctx.db.rollout.findMany({ orderBy: { createdAt: "desc" }, take: input.limit });
      const counts = await ctx.db.rolloutNode.groupBy({
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
    }),

  get: viewerProcedure.input(z.object({ id })).query(({ ctx, input }) =>
    // One snapshot: the rollout, its batches, nodes and records as of one moment, never a mix of two engine steps.
    ctx.db.$transaction((tx) => getRollout(tx, input.id), { isolationLevel: "RepeatableRead" }),
  ),

  /** The batches the plan would give for the group now, with the actual nodes, or what is wrong. */
  preview: operatorProcedure
    .input(z.object({ groupId: id, plan: planInput }))
    .query(({ ctx, input }) => previewRollout(ctx.db, input.groupId, input.plan)),

  create: operatorProcedure.input(z.object({ groupId: id, plan: planInput })).mutation(({ ctx, input }) =>
    audited(ctx, "rollout.started", async (tx) => {
      const user = ctx.session.user;
      const created = await createRollout(tx, {
        groupId: input.groupId,
        plan: input.plan,
        user: { id: user.id, name: user.username },
      }).catch(planRefused);
      return {
        result: { id: created.rollout.id, nodes: created.nodes, batches: created.batches },
        target: target(created.rollout),
        details: { plan: created.rollout.plan, nodes: created.nodes, batches: created.batches },
      };
    }),
  ),

  act: operatorProcedure
    .input(z.object({ id, action: z.enum(["pause", "resume", "approve", "abort"]) }))
    .mutation(({ ctx, input }) =>
      audited(ctx, ACTION_AUDIT[input.action], async (tx) => {
        const user = ctx.session.user;
        const result = await actOnRollout(tx, {
          rolloutId: input.id,
          action: input.action,
          user: { id: user.id, name: user.username },
        }).catch(actionRefused);
        return {
          result,
          target: { type: "rollout", id: input.id, name: result.groupName },
          details: { from: result.from, to: result.to },
        };
      }),
    ),

  /**
   * Returns every node the rollout updated to the image it ran before, as a rollout of its own
   * (the page confirms first). A halted rollout is aborted as part of it.
   */
  rollBack: operatorProcedure.input(z.object({ id })).mutation(({ ctx, input }) =>
    audited(ctx, "rollout.rolled_back", async (tx) => {
      const user = ctx.session.user;
      const created = await rollBackRollout(tx, {
        rolloutId: input.id,
        user: { id: user.id, name: user.username },
      }).catch(actionRefused);
      return {
        result: { id: created.rollout.id, nodes: created.nodes, batches: created.batches, aborted: created.aborted },
        target: target(created.rollout),
        details: {
          rollbackOf: input.id,
          abortedFirst: created.aborted,
          nodes: created.nodes,
          batches: created.batches,
          versions: created.versions,
        },
      };
    }),
  ),

  /** Reboot one waiting node past logind's block inhibitors (the page confirms first). */
  skipInhibitors: operatorProcedure.input(z.object({ id, nodeId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "rollout.inhibitors_skipped", async (tx) => {
      const result = await skipNodeInhibitors(tx, { rolloutId: input.id, nodeId: input.nodeId }).catch(actionRefused);
      return {
        result,
        target: { type: "rollout", id: input.id, name: result.groupName },
        details: { nodeId: input.nodeId, hostname: result.hostname, blockedBy: result.blockedBy },
      };
    }),
  ),
});

function actionRefused(error: unknown): never {
  if (error instanceof RolloutPlanError) throw new TRPCError({ code: "CONFLICT", message: error.message });
  if (error instanceof RolloutActionError) {
    throw new TRPCError({ code: error.code === "not-found" ? "NOT_FOUND" : "CONFLICT", message: error.message });
  }
  throw error;
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
