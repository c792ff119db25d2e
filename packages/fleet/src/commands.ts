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

/** A command to send to its agent: what agentCommandOf needs of it. */
export type CommandToSend = Pick<NodeCommand, "id" | "type" | "requireNextroot" | "skipInhibitors" | "payload">;

/**
 * A connection's delivery, in one statement (a rollout's batch commands a
 * thousand nodes at once: one round trip each, no interactive transaction):
 * the node's commands past their time expire, and those waiting that this
 * connection has not sent yet are marked sent and returned, oldest first. An
 * answer stored meanwhile wins: a command answered is neither marked sent
 * again nor sent. Also returns the ids still waiting for an answer, to which
 * the connection bounds what it remembers having sent.
 */
export async function commandsToSend(
  db: Pick<Tx, "$queryRaw">,
  nodeId: string,
  sentHere: readonly string[],
  now = new Date(),
): Promise<{ send: CommandToSend[]; waiting: string[] }> {
  const cutoff = new Date(now.getTime() - COMMAND_TTL_MS).toISOString();
  const at = now.toISOString();
  const rows = await db.$queryRaw<Array<CommandToSend & { send: boolean; requestedAt: Date }>>`
    WITH expired AS (
      UPDATE "NodeCommand" SET status = 'expired',
        reason = CASE WHEN status = 'pending' THEN 'not delivered within 5 minutes (the node was offline)'
                      ELSE 'the agent did not answer within 5 minutes' END
      WHERE "nodeId" = ${nodeId} AND status IN ('pending', 'sent') AND "requestedAt" < ${cutoff}::timestamp(3)
      RETURNING id
    ), sent AS (
      UPDATE "NodeCommand" SET status = 'sent', "sentAt" = ${at}::timestamp(3)
      WHERE "nodeId" = ${nodeId} AND status IN ('pending', 'sent') AND "requestedAt" >= ${cutoff}::timestamp(3)
        AND NOT (id = ANY(${sentHere as string[]}::text[]))
      RETURNING id, type, "requireNextroot", "skipInhibitors", payload, "requestedAt"
    )
    SELECT true AS send, id, type, "requireNextroot", "skipInhibitors", payload, "requestedAt" FROM sent
    UNION ALL
    SELECT false, id, type, "requireNextroot", "skipInhibitors", payload, "requestedAt" FROM "NodeCommand"
    WHERE "nodeId" = ${nodeId} AND status IN ('pending', 'sent') AND "requestedAt" >= ${cutoff}::timestamp(3)
    ORDER BY "requestedAt"`;
  return {
    send: rows
      .filter((r) => r.send)
      .map(({ id, type, requireNextroot, skipInhibitors, payload }) => ({
        id,
        type,
        requireNextroot,
        skipInhibitors,
        payload,
      })),
    waiting: rows.filter((r) => !r.send).map((r) => r.id),
  };
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
