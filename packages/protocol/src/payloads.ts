import type { UnitContinuity } from "./events";
import type { LogindInhibitor } from "./state";

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

/** The locks that stop a reboot or soft-reboot: mode `block` on "shutdown" (systemd >= 257 applies them to root too). */
export function blocksShutdown(inhibitor: Pick<LogindInhibitor, "what" | "mode">): boolean {
  return inhibitor.mode === "block" && inhibitor.what.split(":").includes("shutdown");
}

/** How an agent's refusal of a reboot held by block inhibitors begins. */
export const BLOCKED_PREFIX = "blocked by a block inhibitor: ";

/** "who (pid N): why", the way pages and refusals name a blocking lock. */
export function describeInhibitor(inhibitor: Pick<LogindInhibitor, "who" | "why" | "pid">): string {
  return `${inhibitor.who || "unnamed"} (pid ${inhibitor.pid})${inhibitor.why ? `: ${inhibitor.why}` : ""}`;
}

/** "who (pid N): why; …" for the locks that hold a node: at most three named, then how many more. */
export function describeBlockers(blockers: readonly Pick<LogindInhibitor, "who" | "why" | "pid">[]): string {
  const named = blockers.slice(0, 3).map(describeInhibitor).join("; ");
  return blockers.length > 3 ? `${named} and ${blockers.length - 3} more` : named;
}

/**
 * What a host's systemd cannot do for softfleet, by major version (null:
 * unknown). Each entry says what is missing and what it costs.
 */
export function systemdLimits(version: number | null): string[] {
  if (version === null) return ["the systemd version is unknown: what the host lacks cannot be told"];
  const limits: string[] = [];
  if (version < 254) limits.push("no soft-reboot at all (systemd 254 brought it): every reboot is a full one");
  if (version < 255)
    limits.push("no PrepareForShutdownWithMetadata (255): a shutdown's type is known only after it, from the boot id");
  if (version < 256)
    limits.push(
      "no SoftRebootsCount (256): a soft-reboot is told from a full one by the boot id alone, and /run/nextroot need not be a mount point",
    );
  if (version < 257)
    limits.push("block inhibitors do not stop root's reboots (257), so they neither hold a rollout nor can be skipped");
  return limits;
}
