import { randomUUID } from "node:crypto";
import type { Prisma } from "@softfleet/db";
import { isTerminal, type RolloutSnapshot, type TransitionRecord } from "@softfleet/rollout";
import { notifyChange, notifyControl } from "../notify";
import type { LoadedRollout } from "./load";

type Tx = Prisma.TransactionClient;

export const ENGINE_NAME = "rollout engine";
/** NOTIFY payloads are limited to 8000 bytes: node ids go in chunks. */
const NOTIFY_CHUNK = 150;

export interface PersistOptions {
  now: Date;
  /** The user's name for user transitions; engine transitions are the engine's. */
  actorName?: string;
  wakeAt?: Date | null;
}

/**
 * Writes what changed between the loaded snapshot and `after` (from
 * @softfleet/rollout's applyActions), with its transitions, in the caller's
 * transaction. Nodes that start rebooting get their soft-reboot command here,
 * in the same transaction as their new status: a node is commanded exactly
 * when it is recorded as rebooting, whatever process dies when.
 */
export async function persistRollout(
  tx: Tx,
  loaded: LoadedRollout,
  after: RolloutSnapshot,
  transitions: readonly TransitionRecord[],
  options: PersistOptions,
): Promise<{ commanded: string[] }> {
  const before = loaded.snapshot;
  const { now } = options;
  const rolloutId = before.rollout.id;
  // Over once terminal with nothing in flight or waiting: an aborted rollout's reboots under way finish first.
  const over = (snapshot: RolloutSnapshot) =>
    isTerminal("rollout", snapshot.rollout.status) &&
    snapshot.nodes.every((n) => n.status !== "rebooting" && n.status !== "pending");
  const ended = over(after);
  const lastRolloutTransition = [...transitions].reverse().find((t) => t.machine === "rollout");

  await tx.rollout.update({
    where: { id: rolloutId },
    data: {
      status: after.rollout.status,
      approvedAt: after.rollout.approvedAt,
      failuresAcknowledged: after.rollout.failuresAcknowledged,
      ...(lastRolloutTransition ? { statusReason: lastRolloutTransition.reason } : {}),
      ...(ended && !over(before) ? { finishedAt: now } : {}),
      ...(options.wakeAt !== undefined ? { wakeAt: options.wakeAt } : {}),
    },
  });
  if (ended) await tx.rolloutNode.updateMany({ where: { rolloutId, active: true }, data: { active: false } });

  const batches = after.batches.filter(
    (batch) => before.batches.find((b) => b.index === batch.index)?.status !== batch.status,
  );
  if (batches.length > 0) {
    await tx.$executeRaw`
      UPDATE "RolloutBatch" rb SET status = v.status, "startedAt" = v.started, "finishedAt" = v.finished
      FROM unnest(
        ${batches.map((b) => b.index)}::int[],
        ${batches.map((b) => b.status)}::text[],
        ${batches.map((b) => b.startedAt)}::timestamp(3)[],
        ${batches.map((b) => b.finishedAt)}::timestamp(3)[]
      ) AS v(index, status, started, finished)
      WHERE rb."rolloutId" = ${rolloutId} AND rb.index = v.index`;
  }

  const commanded = await persistNodes(tx, loaded, after, transitions, now);

  if (transitions.length > 0) {
    // One statement, whatever the number of transitions (a batch start records one per node).
    const user = (t: TransitionRecord) => t.actor.kind === "user";
    await tx.$executeRaw`
      INSERT INTO "RolloutTransition"
        ("rolloutId", at, machine, subject, "subjectName", "from", "to", reason, "actorType", "actorUserId", "actorName")
      SELECT ${rolloutId}, t.at, t.machine, t.subject, t.name, t.f, t.t, t.reason, t.actor::"ActorType", t.uid, t.aname
      FROM unnest(
        ${transitions.map((t) => t.at)}::timestamp(3)[],
        ${transitions.map((t) => t.machine)}::text[],
        ${transitions.map((t) => t.subject)}::text[],
        ${transitions.map((t) => subjectName(loaded, t))}::text[],
        ${transitions.map((t) => t.from)}::text[],
        ${transitions.map((t) => t.to)}::text[],
        ${transitions.map((t) => t.reason)}::text[],
        ${transitions.map((t) => (user(t) ? "user" : "engine"))}::text[],
        ${transitions.map((t) => (t.actor.kind === "user" ? t.actor.userId : null))}::text[],
        ${transitions.map((t) => (user(t) ? (options.actorName ?? "a user") : ENGINE_NAME))}::text[]
      ) WITH ORDINALITY AS t(at, machine, subject, name, f, t, reason, actor, uid, aname, n)
      ORDER BY t.n`;
    await notifyChange(tx, { entity: "rollout", id: rolloutId, status: after.rollout.status });
  }
  for (let i = 0; i < commanded.length; i += NOTIFY_CHUNK) {
    await notifyControl(tx, { kind: "commands", nodeIds: commanded.slice(i, i + NOTIFY_CHUNK) });
  }
  return { commanded };
}

function subjectName(loaded: LoadedRollout, t: TransitionRecord): string {
  if (t.machine === "node") return loaded.hostnames.get(t.subject) ?? t.subject;
  if (t.machine === "batch") {
    const batch = loaded.snapshot.batches.find((b) => String(b.index) === t.subject);
    return batch?.kind === "canary" ? "canary" : `batch ${Number(t.subject) + (hasCanary(loaded) ? 0 : 1)}`;
  }
  return loaded.groupName;
}

function hasCanary(loaded: LoadedRollout): boolean {
  return loaded.snapshot.batches.some((b) => b.kind === "canary");
}

/** Changed nodes in two statements, however many: new commands, then the nodes' rows. */
async function persistNodes(
  tx: Tx,
  loaded: LoadedRollout,
  after: RolloutSnapshot,
  transitions: readonly TransitionRecord[],
  now: Date,
): Promise<string[]> {
  const beforeById = new Map(loaded.snapshot.nodes.map((n) => [n.nodeId, n]));
  const reasons = new Map<string, string>();
  for (const t of transitions) if (t.machine === "node") reasons.set(t.subject, t.reason);
  const changed = after.nodes.filter((n) => beforeById.get(n.nodeId)?.status !== n.status);
  if (changed.length === 0) return [];

  const rebooting = changed.filter((n) => n.status === "rebooting");
  const commandIds = new Map(rebooting.map((n) => [n.nodeId, randomUUID()]));
  if (rebooting.length > 0) {
    const requireNextroot = after.rollout.plan.targetImageVersion !== null;
    const ids = rebooting.map((n) => commandIds.get(n.nodeId)!);
    const nodeIds = rebooting.map((n) => n.nodeId);
    await tx.$executeRaw`
      INSERT INTO "NodeCommand" (id, "nodeId", type, "requireNextroot", status, "requestedByName", "rolloutId", "requestedAt")
      SELECT c.id, c."nodeId", 'soft-reboot', ${requireNextroot}, 'pending', ${ENGINE_NAME}, ${after.rollout.id}, ${now}
      FROM unnest(${ids}::text[], ${nodeIds}::text[]) AS c(id, "nodeId")`;
  }

  const terminal = (status: string) => isTerminal("node", status as never);
  await tx.$executeRaw`
    UPDATE "RolloutNode" rn SET
      status = v.status,
      reason = v.reason,
      "rebootStartedAt" = COALESCE(v.started, rn."rebootStartedAt"),
      "finishedAt" = CASE WHEN v.terminal THEN ${now} ELSE rn."finishedAt" END,
      "commandId" = COALESCE(v.command, rn."commandId"),
      "bootIdBefore" = CASE WHEN v.command IS NULL THEN rn."bootIdBefore" ELSE v."bootId" END,
      "softRebootsCountBefore" = CASE WHEN v.command IS NULL THEN rn."softRebootsCountBefore" ELSE v.count END
    FROM unnest(
      ${changed.map((n) => n.nodeId)}::text[],
      ${changed.map((n) => n.status)}::text[],
      ${changed.map((n) => reasons.get(n.nodeId) ?? null)}::text[],
      ${changed.map((n) => (n.status === "rebooting" ? n.rebootStartedAt : null))}::timestamp(3)[],
      ${changed.map((n) => terminal(n.status))}::boolean[],
      ${changed.map((n) => commandIds.get(n.nodeId) ?? null)}::text[],
      ${changed.map((n) => n.before?.bootId ?? null)}::text[],
      ${changed.map((n) => n.before?.softRebootsCount ?? null)}::int[]
    ) AS v("nodeId", status, reason, started, terminal, command, "bootId", count)
    WHERE rn."rolloutId" = ${after.rollout.id} AND rn."nodeId" = v."nodeId"`;
  return rebooting.map((n) => n.nodeId);
}
