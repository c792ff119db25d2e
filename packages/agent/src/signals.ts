import {
  BLOCKED_PREFIX,
  describeBlockers,
  type LogindInhibitor,
  type ShutdownType,
  shutdownType,
} from "@softfleet/protocol";

/** A shutdown announcement as the agent understands it. */
export interface ShutdownNotice {
  start: boolean;
  type: ShutdownType;
}

/** logind's metadata `type`; the man page spells "power-off" where the code sends "poweroff". */
export function metadataType(metadata: Record<string, unknown>): ShutdownType {
  const raw = metadata.type === "power-off" ? "poweroff" : metadata.type;
  const parsed = shutdownType.safeParse(raw);
  return parsed.success ? parsed.data : "unknown";
}

/**
 * logind (systemd >= 255) sends PrepareForShutdownWithMetadata and right after
 * it the old PrepareForShutdown with the same `start`: the pair is one notice.
 * A plain PrepareForShutdown that was not preceded by its WithMetadata twin
 * comes from an older logind, which says nothing about the kind of shutdown.
 * Signals from one sender arrive in the order sent, so "just before" is exact.
 */
export function createShutdownClassifier() {
  let unpairedMetadataStart: boolean | null = null;
  return {
    withMetadata(start: boolean, metadata: Record<string, unknown>): ShutdownNotice {
      unpairedMetadataStart = start;
      return { start, type: metadataType(metadata) };
    },
    /** null when it is the twin of the WithMetadata signal just handled. */
    plain(start: boolean): ShutdownNotice | null {
      const twin = unpairedMetadataStart === start;
      unpairedMetadataStart = null;
      return twin ? null : { start, type: "unknown" };
    },
  };
}

/** logind's RebootWithFlags flags (src/shared/login-util.h). */
export const SD_LOGIND_ROOT_CHECK_INHIBITORS = 0x01n;
export const SD_LOGIND_SOFT_REBOOT = 0x04n;
export const SD_LOGIND_SOFT_REBOOT_IF_NEXTROOT_SET_UP = 0x08n;
/** systemd >= 257: reboot past block inhibitors (logind asks polkit, even for root). */
export const SD_LOGIND_SKIP_INHIBITORS = 0x10n;

export type SoftRebootDecision = { accepted: true; flags: bigint } | { accepted: false; reason: string };

/**
 * Whether to soft-reboot on a command. With requireNextroot logind gets
 * SOFT_REBOOT_IF_NEXTROOT_SET_UP, but that flag falls back to a FULL reboot
 * when /run/nextroot is not set up, so the agent refuses itself in that case.
 * A `block` inhibitor on shutdown (systemd >= 257 honours it even for root)
 * refuses the command, naming who holds it, unless the operator chose to skip
 * inhibitors.
 */
export function decideSoftReboot(
  command: { requireNextroot: boolean; skipInhibitors?: boolean },
  nextroot: { staged: boolean },
  shutdownUnderWay: boolean,
  blockers: readonly Pick<LogindInhibitor, "who" | "why" | "pid">[] = [],
): SoftRebootDecision {
  if (shutdownUnderWay) return { accepted: false, reason: "a shutdown is already under way on this node" };
  if (command.requireNextroot && !nextroot.staged) {
    return {
      accepted: false,
      reason: "a new image is required but /run/nextroot is not set up (logind would fall back to a full reboot)",
    };
  }
  const skip = command.skipInhibitors === true;
  if (blockers.length > 0 && !skip) {
    return { accepted: false, reason: blockedReason(blockers) };
  }
  const base = command.requireNextroot ? SD_LOGIND_SOFT_REBOOT_IF_NEXTROOT_SET_UP : SD_LOGIND_SOFT_REBOOT;
  return { accepted: true, flags: skip ? base | SD_LOGIND_SKIP_INHIBITORS : base };
}

/** The refusal for a node held by block inhibitors; it starts with BLOCKED_PREFIX, which control recognises. */
export function blockedReason(blockers: readonly Pick<LogindInhibitor, "who" | "why" | "pid">[]): string {
  return `${BLOCKED_PREFIX}${describeBlockers(blockers)}`.slice(0, 500);
}
