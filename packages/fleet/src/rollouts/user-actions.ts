import type { Prisma } from "@softfleet/db";
import { applyUserActionToSnapshot, type UserAction } from "@softfleet/rollout";
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
