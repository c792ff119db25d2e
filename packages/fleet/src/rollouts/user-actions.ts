import type { Prisma } from "@softfleet/db";
import { applyUserActionToSnapshot, mayStartReboots, type UserAction } from "@softfleet/rollout";
import { notifyControl } from "../notify";
import { loadRollout } from "./load";
import { persistRollout } from "./persist";

type Tx = Prisma.TransactionClient;

export class RolloutActionError extends Error {
  constructor(
    readonly code: "not-found" | "not-allowed",
    message: string,
  ) {
    super(message);
    this.name = "RolloutActionError";
  }
}

/**
 * Pause, resume, approve or abort, as a user, in the caller's transaction
 * (the rollout row locked): recorded as a transition with the user's name,
 * and the engine told to look at once.
 */
export async function actOnRollout(
  tx: Tx,
  input: { rolloutId: string; action: UserAction; user: { id: string; name: string }; now?: Date },
) {
  const now = input.now ?? new Date();
  const loaded = await loadRollout(tx, input.rolloutId, { forUpdate: true });
  if (!loaded) throw new RolloutActionError("not-found", `Rollout ${input.rolloutId} does not exist`);
  const applied = applyUserActionToSnapshot(loaded.snapshot, input.action, now, {
    kind: "user",
    userId: input.user.id,
  });
  if ("error" in applied) throw new RolloutActionError("not-allowed", applied.error);
  await persistRollout(tx, loaded, applied.snapshot, applied.transitions, { now, actorName: input.user.name });
  await notifyControl(tx, { kind: "rollout", id: input.rolloutId });
  return { from: loaded.snapshot.rollout.status, to: applied.snapshot.rollout.status, groupName: loaded.groupName };
}

/**
 * An operator's override for one pending node held by block inhibitors: its
 * reboot command will ask logind to skip them (SD_LOGIND_SKIP_INHIBITORS).
 * In the caller's transaction, with the rollout row locked; the engine is
 * told to look at once. The caller audits it.
 */
export async function skipNodeInhibitors(tx: Tx, input: { rolloutId: string; nodeId: string }) {
  const loaded = await loadRollout(tx, input.rolloutId, { forUpdate: true });
  if (!loaded) throw new RolloutActionError("not-found", `Rollout ${input.rolloutId} does not exist`);
  const node = loaded.snapshot.nodes.find((n) => n.nodeId === input.nodeId);
  const hostname = loaded.hostnames.get(input.nodeId) ?? input.nodeId;
  if (!node) throw new RolloutActionError("not-found", `Node ${input.nodeId} is not in this rollout`);
  if (node.status !== "pending") {
    throw new RolloutActionError(
      "not-allowed",
      `${hostname} is ${node.status}: inhibitors can be skipped only for a node still waiting for its reboot`,
    );
  }
  if (!mayStartReboots(loaded.snapshot.rollout.status) && loaded.snapshot.rollout.status !== "paused") {
    throw new RolloutActionError("not-allowed", `the rollout is ${loaded.snapshot.rollout.status}`);
  }
  await tx.rolloutNode.update({
    where: { rolloutId_nodeId: { rolloutId: input.rolloutId, nodeId: input.nodeId } },
    data: { skipInhibitors: true },
  });
  await notifyControl(tx, { kind: "rollout", id: input.rolloutId });
  return {
    groupName: loaded.groupName,
    hostname,
    blockedBy: node.blockedBy ?? null,
    blockedSince: node.blockedSince ?? null,
  };
}
