import type { Prisma } from "@softfleet/db";
import { type RolloutPlan, rolloutPlan } from "@softfleet/rollout";
import { enqueueWebhookEvents, rolledBackEvent } from "../webhooks";
import { insertRollout, overlapIssues, stepRollout } from "./create";
import { factsOf } from "./facts";
import type { TargetNode } from "./targets";
import { actOnRollout, RolloutActionError } from "./user-actions";

type Tx = Prisma.TransactionClient;

/** The updated node a rollback returns, to the image it ran before. */
export type RollbackTarget = TargetNode & { rollbackVersion: string };

/**
 * The plan of a rollback of `plan` for `count` nodes: the same batches, pace,
 * gate and failure threshold, fitted to the nodes it returns. Nothing to stage
 * (each agent stages the image it kept), no approval to wait for, and no
 * rollback of the rollback.
 */
export function rollbackPlan(plan: RolloutPlan, count: number): RolloutPlan {
  const canary = plan.canary && plan.canary.count < count ? plan.canary : null;
  return rolloutPlan.parse({
    ...plan,
    canary,
    approveAfterCanary: false,
    maxUnavailable: Math.min(plan.maxUnavailable, count),
    targetImageVersion: null,
    image: null,
    autoRollback: false,
  });
}

/** A rollout may be rolled back once over (or halted), unless it is itself a rollback. */
export function mayRollBack(rollout: { status: string; rollbackOfId: string | null }): boolean {
  return rollout.rollbackOfId === null && ["halted", "completed", "aborted"].includes(rollout.status);
}

/**
 * Whether a rollout updated this node: it rebooted it, and the node (not
 * revoked) now runs another image than the one it ran before it.
 */
export function wasUpdated(
  row: { status: string; imageVersionBefore: string | null },
  node: { imageVersion: string | null; revokedAt: Date | null },
): row is { status: string; imageVersionBefore: string } {
  return (
    row.imageVersionBefore !== null &&
    (row.status === "succeeded" || row.status === "failed") &&
    node.revokedAt === null &&
    node.imageVersion !== row.imageVersionBefore
  );
}

/** The nodes a rollout updated (see wasUpdated), in plan order. */
async function updatedNodes(tx: Tx, rolloutId: string): Promise<RollbackTarget[]> {
  const rows = await tx.rolloutNode.findMany({
    where: { rolloutId, imageVersionBefore: { not: null }, status: { in: ["succeeded", "failed"] } },
    orderBy: { position: "asc" },
    include: { node: true },
  });
  return rows
    .filter((r) => wasUpdated(r, r.node))
    .map((r) => ({
      nodeId: r.nodeId,
      hostname: r.node.hostname,
      simulated: r.node.simulated,
      facts: factsOf({ ...r.node, nodeStatus: r.node.status }),
      rollbackVersion: r.imageVersionBefore!,
    }));
}

/**
 * "Roll back rollout": a rollout of its own that returns every node the
 * rollout updated to the image it ran before, in the plan's batches, each
 * node's agent staging its kept image again and soft-rebooting into it. A
 * halted rollout is aborted first, in the same transaction; a rollout still
 * running must be aborted by the user first. The caller audits it.
 */
export async function rollBackRollout(
  tx: Tx,
  input: { rolloutId: string; user: { id: string; name: string }; now?: Date },
) {
  const now = input.now ?? new Date();
  const [original] = await tx.$queryRaw<
    Array<{
      id: string;
      status: string;
      plan: unknown;
      groupId: string | null;
      groupName: string;
      rollbackOfId: string | null;
    }>
  >`SELECT id, status, plan, "groupId", "groupName", "rollbackOfId" FROM "Rollout" WHERE id = ${input.rolloutId} FOR NO KEY UPDATE`;
  if (!original) throw new RolloutActionError("not-found", `Rollout ${input.rolloutId} does not exist`);
  if (original.rollbackOfId) {
    throw new RolloutActionError(
      "not-allowed",
      "a rollback cannot be rolled back: start a rollout to the image the nodes should run",
    );
  }
  if (!mayRollBack(original)) {
    throw new RolloutActionError(
      "not-allowed",
      `the rollout is ${original.status}: abort it first (its reboots under way finish), then roll it back`,
    );
  }
  const running = await tx.rollout.findFirst({
    where: { rollbackOfId: original.id, finishedAt: null },
    select: { id: true },
  });
  if (running) {
    throw new RolloutActionError("not-allowed", `rollout ${running.id} is already rolling it back`);
  }
  const inFlight = await tx.rolloutNode.count({
    where: { rolloutId: original.id, status: { in: ["rebooting", "rolling-back"] } },
  });
  if (inFlight > 0) {
    throw new RolloutActionError(
      "not-allowed",
      `${inFlight} of its nodes ${inFlight === 1 ? "is" : "are"} still rebooting: roll it back once they end`,
    );
  }
  const aborted = original.status === "halted";
  if (aborted) {
    await actOnRollout(tx, { rolloutId: original.id, action: "abort", user: input.user, now });
    // The engine's step that cancels its waiting nodes, now: then none of its nodes is held by it.
    await stepRollout(tx, original.id, now);
  }
  const nodes = await updatedNodes(tx, original.id);
  if (nodes.length === 0) {
    throw new RolloutActionError(
      "not-allowed",
      "no node of this rollout runs another image than the one it ran before: there is nothing to roll back",
    );
  }
  const busy = await overlapIssues(tx, nodes);
  if (busy.length > 0) throw new RolloutActionError("not-allowed", busy.map((i) => i.message).join("; "));
  const plan = rollbackPlan(rolloutPlan.parse(original.plan), nodes.length);
  const created = await insertRollout(tx, {
    groupId: original.groupId,
    groupName: original.groupName,
    plan,
    nodes,
    user: input.user,
    now,
    rollback: { of: original.id, reason: `rolls back rollout ${original.id}` },
  });
  const status = aborted ? "aborted" : original.status;
  const event = rolledBackEvent({ ...original, status }, created.rollout.id, input.user.name, nodes.length, now);
  await enqueueWebhookEvents(tx, [event], { now });
  return {
    ...created,
    groupName: original.groupName,
    aborted,
    versions: Object.fromEntries(nodes.map((n) => [n.hostname, n.rollbackVersion])),
  };
}
