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
 * For the nodes a control process holds connections to (each with the hash of
 * the credential it connected with): which must be cut off (revoked or
 * deleted), which were re-keyed since (their connection used the old
 * credential), and which have commands never sent. Commands, revocations and
 * re-keys travel by NOTIFY; this catches those lost in a LISTEN gap.
 */
export async function connectedNodesToReconcile(
  db: Pick<Tx, "node" | "nodeCommand">,
  connected: ReadonlyMap<string, string | null>,
) {
  const nodeIds = [...connected.keys()];
  if (nodeIds.length === 0) return { cutOff: [], rekeyed: [], withPendingCommands: [] };
  const [live, pending] = await Promise.all([
    db.node.findMany({ where: { id: { in: nodeIds }, revokedAt: null }, select: { id: true, credentialHash: true } }),
    db.nodeCommand.findMany({
      where: { nodeId: { in: nodeIds }, status: "pending" },
      select: { nodeId: true },
      distinct: ["nodeId"],
    }),
  ]);
  const current = new Map(live.map((node) => [node.id, node.credentialHash]));
  const rekeyed = nodeIds.filter((id) => current.has(id) && current.get(id) !== connected.get(id));
  const usable = new Set(nodeIds.filter((id) => current.has(id) && !rekeyed.includes(id)));
  return {
    cutOff: nodeIds.filter((id) => !current.has(id)),
    rekeyed,
    withPendingCommands: pending.map((command) => command.nodeId).filter((id) => usable.has(id)),
  };
}
