import {
  actOnRollout,
  createRollout,
  previewRollout,
  RolloutActionError,
  RolloutPlanError,
  rollBackRollout,
  skipNodeInhibitors,
  unfinishedRolloutStatuses,
} from "@softfleet/fleet";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audited } from "../audit";
import { readRolloutList, readRolloutView } from "../domain/rollout-views";
import { rolloutViewQuery } from "../rollout-view";
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

const _ACTIVE: string[] = [...unfinishedRolloutStatuses];
const ACTION_AUDIT = {
  pause: "rollout.paused",
  resume: "rollout.resumed",
  approve: "rollout.approved",
  abort: "rollout.aborted",
} as const;

export const rolloutsRouter = router({
  list: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => readRolloutList(ctx.db, input.limit)),

  /** The rollout page: the rollout, its batches and counts, and one page of its nodes (of one state, or all). */
  get: viewerProcedure.input(rolloutViewQuery).query(({ ctx, input }) =>
    // One snapshot: the rollout, its batches, nodes and records as of one moment, never a mix of two engine steps.
    readRolloutView(ctx.db, input),
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
