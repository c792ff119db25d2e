/**
 * The counting semaphore's rule, alone: a client already holding a slot keeps
 * it (the protocol's locks are recursive); another gets one while the slots
 * in use (FleetLock holders, and the group's nodes softfleet's own rollouts
 * are rebooting) are fewer than the group's max unavailable.
 */
export type SlotDecision = "already-held" | "granted" | "full";

export interface SemaphoreState {
  /** The client holds an unreleased slot of this group now. */
  heldByClient: boolean;
  /** Unreleased FleetLock slots of the group. */
  holders: number;
  /** The group's nodes a softfleet rollout is rebooting now that hold no FleetLock slot. */
  rebootingByRollout: number;
  maxUnavailable: number;
}

export function decideSlot(state: SemaphoreState): SlotDecision {
  if (state.heldByClient) return "already-held";
  return state.holders + state.rebootingByRollout < state.maxUnavailable ? "granted" : "full";
}

export function semaphoreFullMessage(state: SemaphoreState): string {
  const parts = [`${state.holders} FleetLock holder${state.holders === 1 ? "" : "s"}`];
  if (state.rebootingByRollout > 0) parts.push(`${state.rebootingByRollout} node(s) rebooting in a softfleet rollout`);
  return `semaphore currently full, all slots are locked already (${parts.join(" and ")}; max unavailable ${state.maxUnavailable})`;
}
