import { type NodeCommand, Prisma } from "@softfleet/db";
import { type AgentMessage, agentCommand, type ServerMessage, stageCommand } from "@softfleet/protocol";
import { z } from "zod";
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

/**
 * Marks a command sent, unless it was answered (or expired) since it was read: a delivery racing the
 * agent's answer must not turn an accepted command back into a sent one (its reboot's record would
 * then find no accepted command, and the rollout would wait for the node in vain). False: not to send.
 */
export async function markCommandSent(tx: Tx, commandId: string): Promise<boolean> {
  const { count } = await tx.nodeCommand.updateMany({
    where: { id: commandId, status: { in: ["pending", "sent"] } },
    data: { status: "sent", sentAt: new Date() },
  });
  return count === 1;
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

/** What a stage command asks for, as stored in NodeCommand.payload. */
export const stagePayload = z.object(stageCommand.shape).omit({ type: true });
export type StagePayload = ReturnType<typeof stagePayload.parse>;

/** Asks a node's agent to stage an image at /run/nextroot (from a person, or a rollout's engine). */
export async function requestStage(
  tx: Tx,
  input: { nodeId: string; image: StagePayload; requestedById: string | null; requestedByName?: string },
) {
  const command = await tx.nodeCommand.create({
    data: {
      nodeId: input.nodeId,
      type: "stage",
      payload: stagePayload.parse(input.image),
      requestedById: input.requestedById,
      requestedByName: input.requestedByName ?? null,
    },
  });
  await notifyControl(tx, { kind: "command", nodeId: input.nodeId });
  await notifyChange(tx, { entity: "command", nodeId: input.nodeId, id: command.id, status: command.status });
  return command;
}

type AgentCommand = Extract<ServerMessage, { kind: "command" }>["command"];

/** The command as the agent gets it; null for a stored one that is not valid (it is expired instead of sent). */
export function agentCommandOf(
  command: Pick<NodeCommand, "type" | "requireNextroot" | "skipInhibitors" | "payload">,
): AgentCommand | null {
  const parsed =
    command.type === "stage"
      ? agentCommand.safeParse({ type: command.type, ...(command.payload as object) })
      : command.type === "rollback"
        ? agentCommand.safeParse({
            ...(command.payload as object),
            type: "rollback",
            skipInhibitors: command.skipInhibitors,
          })
        : agentCommand.safeParse({
            type: "soft-reboot",
            requireNextroot: command.requireNextroot,
            skipInhibitors: command.skipInhibitors,
          });
  return parsed.success ? parsed.data : null;
}

type StageProgressMessage = Extract<AgentMessage, { kind: "stage-progress" }>;

/**
 * A stage command's progress, with the rate since the last one stored. Only
 * the node's own stage commands that have not ended take it.
 */
export async function applyStageProgress(tx: Tx, nodeId: string, message: StageProgressMessage, now = new Date()) {
  const command = await tx.nodeCommand.findFirst({
    where: { id: message.commandId, nodeId, type: "stage", result: { equals: Prisma.DbNull } },
    select: { id: true, progress: true },
  });
  if (!command) return false;
  const before = command.progress as {
    bytesDone?: number;
    bytesTotal?: number | null;
    at?: string;
    bytesPerSec?: number | null;
  } | null;
  // After the download the byte counts stay those of the download (the later phases report none).
  const download = message.phase === "download";
  const seconds = before?.at ? (now.getTime() - Date.parse(before.at)) / 1000 : 0;
  const rate =
    before?.bytesDone !== undefined && seconds > 0 && message.bytesDone >= before.bytesDone
      ? Math.round((message.bytesDone - before.bytesDone) / seconds)
      : (before?.bytesPerSec ?? null);
  const progress = {
    phase: message.phase,
    bytesDone: download ? message.bytesDone : (before?.bytesDone ?? message.bytesDone),
    bytesTotal: download ? message.bytesTotal : (before?.bytesTotal ?? message.bytesTotal),
    bytesPerSec: download ? rate : null,
    at: now.toISOString(),
  };
  await tx.nodeCommand.update({ where: { id: command.id }, data: { progress } });
  await notifyChange(tx, { entity: "command", nodeId, id: command.id, status: `stage-${message.phase}` });
  return true;
}
