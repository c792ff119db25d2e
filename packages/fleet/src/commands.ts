import type { Prisma } from "@softfleet/db";
import { notifyChange, notifyControl } from "./notify";

type Tx = Prisma.TransactionClient;

/** Commands older than this are not delivered any more: the person who asked has moved on. */
export const COMMAND_TTL_MS = 5 * 60_000;

export async function requestSoftReboot(
  tx: Tx,
  input: { nodeId: string; requireNextroot: boolean; requestedById: string | null },
) {
  const command = await tx.nodeCommand.create({
    data: {
      nodeId: input.nodeId,
      type: "soft-reboot",
      requireNextroot: input.requireNextroot,
      requestedById: input.requestedById,
    },
  });
  await notifyControl(tx, { kind: "command", nodeId: input.nodeId });
  await notifyChange(tx, { entity: "command", nodeId: input.nodeId, id: command.id, status: command.status });
  return command;
}

/**
 * The commands to send a node now, oldest first: those never sent, and those
 * sent but never answered (the connection may have died with them in flight;
 * the agent recognises a command it already carried out). Stale ones are
 * expired instead.
 */
export async function takePendingCommands(tx: Tx, nodeId: string) {
  const cutoff = new Date(Date.now() - COMMAND_TTL_MS);
  await tx.nodeCommand.updateMany({
    where: { nodeId, status: "pending", requestedAt: { lt: cutoff } },
    data: { status: "expired", reason: "not delivered within 5 minutes (the node was offline)" },
  });
  await tx.nodeCommand.updateMany({
    where: { nodeId, status: "sent", requestedAt: { lt: cutoff } },
    data: { status: "expired", reason: "the agent did not answer within 5 minutes" },
  });
  return tx.nodeCommand.findMany({
    where: { nodeId, status: { in: ["pending", "sent"] } },
    orderBy: { requestedAt: "asc" },
  });
}

export async function markCommandSent(tx: Tx, commandId: string) {
  await tx.nodeCommand.update({ where: { id: commandId }, data: { status: "sent", sentAt: new Date() } });
}

/**
 * For the nodes a control process holds connections to: which must be cut off
 * (revoked or deleted) and which have commands never sent. Commands and
 * revocations travel by NOTIFY; this catches those lost in a LISTEN gap.
 */
export async function connectedNodesToReconcile(db: Pick<Tx, "node" | "nodeCommand">, nodeIds: string[]) {
  if (nodeIds.length === 0) return { cutOff: [], withPendingCommands: [] };
  const [live, pending] = await Promise.all([
    db.node.findMany({ where: { id: { in: nodeIds }, revokedAt: null }, select: { id: true } }),
    db.nodeCommand.findMany({
      where: { nodeId: { in: nodeIds }, status: "pending" },
      select: { nodeId: true },
      distinct: ["nodeId"],
    }),
  ]);
  const liveIds = new Set(live.map((node) => node.id));
  return {
    cutOff: nodeIds.filter((id) => !liveIds.has(id)),
    withPendingCommands: pending.map((command) => command.nodeId).filter((id) => liveIds.has(id)),
  };
}
