import { allowReenrollment, cyclesOf, notifyControl, REENROLL_WINDOW, requestSoftReboot } from "@softfleet/fleet";
import { z } from "zod";
import { audited } from "../audit";
import { readFleetPage } from "../domain/fleet-page";
import { findNodeOrThrow, presentRecord, readNodeView } from "../domain/nodes";
import { conflict, notFound } from "../errors";
import { fleetQuery } from "../fleet-view";
import { id } from "../schemas";
import { adminProcedure, operatorProcedure, router, viewerProcedure } from "../trpc";

const target = (node: { id: string; hostname: string }) => ({ type: "node", id: node.id, name: node.hostname });

export const nodesRouter = router({
  /** One page of the fleet, filtered and sorted in the database, with the fleet's counts. */
  page: viewerProcedure.input(fleetQuery).query(({ ctx, input }) => readFleetPage(ctx.db, input)),

  get: viewerProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const node = await readNodeView(ctx.db, input.id, ctx.session.user.role);
    if (!node) throw notFound(`Node ${input.id}`);
    return node;
  }),

  /** The node's event timeline, newest first. */
  events: viewerProcedure
    .input(z.object({ nodeId: id, limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ ctx, input }) =>
      ctx.db.nodeEvent.findMany({
        where: { nodeId: input.nodeId },
        orderBy: { receivedAt: "desc" },
        take: input.limit,
      }),
    ),

  rebootRecords: viewerProcedure
    .input(z.object({ nodeId: id, limit: z.number().int().min(1).max(500).default(50) }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.rebootRecord.findMany({
        where: { nodeId: input.nodeId },
        orderBy: { recordedAt: "desc" },
        take: input.limit,
      });
      return rows.map(presentRecord);
    }),

  /**
   * Each boot and soft-reboot of the node (journalctl --list-boots shows boots
   * only), newest first, with the journalctl command for its log: from its
   * last 500 reboot records.
   */
  cycles: viewerProcedure.input(z.object({ nodeId: id })).query(async ({ ctx, input }) => {
    const records = await ctx.db.rebootRecord.findMany({
      where: { nodeId: input.nodeId },
      orderBy: { recordedAt: "desc" },
      take: 500,
      select: {
        kind: true,
        bootIdBefore: true,
        bootIdAfter: true,
        softRebootsCountBefore: true,
        softRebootsCountAfter: true,
        imageVersionBefore: true,
        imageVersionAfter: true,
        recordedAt: true,
        signalUsec: true,
        shutdownStartUsec: true,
        userspaceUsec: true,
        agentConnectedUsec: true,
      },
    });
    return cyclesOf(records.reverse());
  }),

  commands: viewerProcedure
    .input(z.object({ nodeId: id }))
    .query(({ ctx, input }) =>
      ctx.db.nodeCommand.findMany({ where: { nodeId: input.nodeId }, orderBy: { requestedAt: "desc" }, take: 50 }),
    ),

  /** Asks the node's agent to soft-reboot through logind (never PID 1 directly). */
  softReboot: operatorProcedure
    .input(z.object({ nodeId: id, requireNextroot: z.boolean() }))
    .mutation(({ ctx, input }) =>
      audited(ctx, "node.soft_reboot_requested", async (tx) => {
        const node = await findNodeOrThrow(tx, input.nodeId);
        if (node.revokedAt) throw conflict(`${node.hostname} is revoked`);
        if (node.status !== "online") throw conflict(`${node.hostname} is ${node.status}: its agent must be connected`);
        if (input.requireNextroot && !node.nextrootStaged) {
          throw conflict(`${node.hostname} has no new image staged at /run/nextroot`);
        }
        const waiting = await tx.nodeCommand.count({ where: { nodeId: node.id, status: { in: ["pending", "sent"] } } });
        if (waiting > 0) throw conflict(`${node.hostname} already has a soft-reboot on its way`);
        const command = await requestSoftReboot(tx, { ...input, requestedById: ctx.session.user.id });
        return {
          result: command,
          target: target(node),
          details: { commandId: command.id, requireNextroot: input.requireNextroot },
        };
      }),
    ),

  /** Ends the node's credential and its connection; it must enroll anew (after deletion). */
  revoke: adminProcedure.input(z.object({ nodeId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "node.revoked", async (tx) => {
      const node = await findNodeOrThrow(tx, input.nodeId);
      await tx.node.update({
        where: { id: node.id },
        data: { revokedAt: node.revokedAt ?? new Date(), credentialHash: null, status: "offline" },
      });
      await notifyControl(tx, { kind: "revoked", nodeId: node.id });
      return { result: { ok: true }, target: target(node) };
    }),
  ),

  /**
   * Lets the next enrollment of this node's machine (with a valid token) re-key
   * it: once, within `minutes`. For an agent whose credential was lost; without
   * this, a machine id already enrolled is never re-keyed by a token.
   */
  allowReenrollment: adminProcedure
    .input(
      z.object({
        nodeId: id,
        minutes: z
          .number()
          .int("must be whole minutes")
          .min(1, "must be at least 1 minute")
          .max(REENROLL_WINDOW.maxMinutes, `must be at most ${REENROLL_WINDOW.maxMinutes} minutes (a day)`)
          .default(REENROLL_WINDOW.defaultMinutes),
      }),
    )
    .mutation(({ ctx, input }) =>
      audited(ctx, "node.reenrollment_allowed", async (tx) => {
        const node = await findNodeOrThrow(tx, input.nodeId);
        if (node.revokedAt) throw conflict(`${node.hostname} is revoked: delete it, and its machine may enroll anew`);
        const until = await allowReenrollment(tx, node.id, input.minutes);
        return { result: { until }, target: target(node), details: { until: until.toISOString() } };
      }),
    ),

  /** Forgets a node and its history (records, events); its machine may enroll again. */
  delete: adminProcedure.input(z.object({ nodeId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "node.deleted", async (tx) => {
      const node = await findNodeOrThrow(tx, input.nodeId);
      // Its records first, through their partitioned table: its triggers forget the report days kept
      // with them (the node's foreign-key cascade would delete them month by month, unseen by those).
      await tx.$executeRaw`DELETE FROM "RebootRecord" WHERE "nodeId" = ${node.id}`;
      await tx.node.delete({ where: { id: node.id } });
      await notifyControl(tx, { kind: "revoked", nodeId: node.id });
      return { result: { ok: true }, target: target(node), details: { machineId: node.machineId } };
    }),
  ),
});
