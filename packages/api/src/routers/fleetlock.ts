import {
  disableFleetLock,
  enableFleetLock,
  FleetLockSettingsError,
  LOCK_GROUP_PATTERN,
  MAX_UNAVAILABLE_LIMIT,
  readGroupFleetLock,
  readNodeFleetLock,
  releaseHoldByOperator,
  rotateFleetLockSecret,
  updateFleetLock,
} from "@softfleet/fleet";
import { z } from "zod";
import { audited } from "../audit";
import { AppError, badRequest, conflict, notFound } from "../errors";
import { id } from "../schemas";
import { operatorProcedure, router, viewerProcedure } from "../trpc";

const settings = z.object({
  groupId: id,
  lockGroup: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters")
    .regex(LOCK_GROUP_PATTERN, "may hold only letters, digits, '.' and '-' (the FleetLock spec's rule)"),
  maxUnavailable: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(MAX_UNAVAILABLE_LIMIT, `must be at most ${MAX_UNAVAILABLE_LIMIT}`),
});

const target = (group: { id: string; name: string }) => ({ type: "group", id: group.id, name: group.name });

/** Where Zincati's base_url points under control's address; the secret is in it, shown once. */
const basePath = (secret: string) => `/fleetlock/${secret}/`;

/** The domain's refusals as the API's errors. */
async function mapped<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof FleetLockSettingsError)) throw error;
    const make: Record<FleetLockSettingsError["code"], (m: string) => AppError> = {
      "group-not-found": (m) => new AppError("NOT_FOUND", m),
      "lock-group-taken": conflict,
      "not-enabled": conflict,
      invalid: badRequest,
      "hold-not-found": (m) => new AppError("NOT_FOUND", m),
      "already-released": conflict,
    };
    throw make[error.code](error.message);
  }
}

export const fleetLockRouter = router({
  /** A group's FleetLock: settings (never the secret), current holders and recent slots. */
  group: viewerProcedure.input(z.object({ groupId: id })).query(async ({ ctx, input }) => {
    const group = await ctx.db.nodeGroup.findUnique({ where: { id: input.groupId }, select: { id: true } });
    if (!group) throw notFound(`Group ${input.groupId}`);
    return readGroupFleetLock(ctx.db, group.id);
  }),

  /** A node's FleetLock slots, newest first (releasedAt null: it holds one now). */
  node: viewerProcedure
    .input(z.object({ nodeId: id }))
    .query(({ ctx, input }) => readNodeFleetLock(ctx.db, input.nodeId)),

  /** Turns FleetLock on (or re-enables it with a new secret); the base path with the secret is in the answer once. */
  enable: operatorProcedure.input(settings).mutation(({ ctx, input }) =>
    mapped(() =>
      audited(ctx, "fleetlock.enabled", async (tx) => {
        const { secret, group, before } = await enableFleetLock(tx, input.groupId, input);
        return {
          result: { basePath: basePath(secret) },
          target: target(group),
          details: {
            lockGroup: input.lockGroup,
            maxUnavailable: input.maxUnavailable,
            ...(before?.secretHash ? { secretReplaced: true } : {}),
          },
        };
      }),
    ),
  ),

  update: operatorProcedure.input(settings).mutation(({ ctx, input }) =>
    mapped(() =>
      audited(ctx, "fleetlock.updated", async (tx) => {
        const { group, before } = await updateFleetLock(tx, input.groupId, input);
        return {
          result: { ok: true },
          target: target(group),
          details: { before, after: { lockGroup: input.lockGroup, maxUnavailable: input.maxUnavailable } },
        };
      }),
    ),
  ),

  rotate: operatorProcedure.input(z.object({ groupId: id })).mutation(({ ctx, input }) =>
    mapped(() =>
      audited(ctx, "fleetlock.secret_rotated", async (tx) => {
        const { secret, group } = await rotateFleetLockSecret(tx, input.groupId);
        return { result: { basePath: basePath(secret) }, target: target(group) };
      }),
    ),
  ),

  /** Gives back a slot its client never released (the node died mid-update, the client is gone). */
  release: operatorProcedure.input(z.object({ holdId: id })).mutation(({ ctx, input }) =>
    mapped(() =>
      audited(ctx, "fleetlock.released_by_operator", async (tx) => {
        const { group, hold } = await releaseHoldByOperator(tx, input.holdId);
        return {
          result: { ok: true },
          target: target(group),
          details: { holdId: hold.id, clientId: hold.clientId, nodeId: hold.nodeId, lockedAt: hold.lockedAt },
        };
      }),
    ),
  ),

  disable: operatorProcedure.input(z.object({ groupId: id })).mutation(({ ctx, input }) =>
    mapped(() =>
      audited(ctx, "fleetlock.disabled", async (tx) => {
        const { group, released } = await disableFleetLock(tx, input.groupId);
        return { result: { released }, target: target(group), details: { releasedSlots: released } };
      }),
    ),
  ),
});
