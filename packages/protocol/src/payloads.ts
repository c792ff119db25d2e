import type { UnitContinuity } from "./events";

/**
 * What became of a service's file descriptor store across a reboot, from the
 * counts the agent reported:
 * - kept: it had fds before and still has as many after (the service got them back);
 * - emptied: it had fds and lost them although FileDescriptorStorePreserve=yes (a warning);
 * - not-preserved: it lost them, as FileDescriptorStorePreserve (no, restart) says it would;
 * - empty: it held none before;
 * - unknown: the count before is not known.
 */
export type FdStoreOutcome = "kept" | "emptied" | "not-preserved" | "empty" | "unknown";

export function fdStoreOutcome(store: NonNullable<UnitContinuity["fdStore"]>): FdStoreOutcome {
  if (store.before === null) return "unknown";
  if (store.before === 0) return "empty";
  if (store.after >= store.before) return "kept";
  return store.preserve === "yes" ? "emptied" : "not-preserved";
}
