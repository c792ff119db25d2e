import type { RebootType } from "./sql";

/** What a report says instead of a number it does not have. */
export interface MissingTotal {
  status?: string;
  reason?: string | null;
  rebootType: RebootType | null;
  beforeLost: boolean | null;
  totalMs: number | null;
}

/** Why a reboot (or a rollout's node) has no total downtime, or null when it has one. */
export function whyNoTotal(row: MissingTotal): string | null {
  if (row.rebootType === null) {
    const why = row.reason ? `: ${row.reason}` : "";
    switch (row.status) {
      case "failed":
        return `No reboot record: the node failed${why}`;
      case "skipped":
        return `Not rebooted: skipped${why}`;
      case "cancelled":
        return `Not rebooted: cancelled${why}`;
      case "pending":
      case undefined:
        return "Not rebooted yet";
      case "rebooting":
        return "Rebooting: its record has not arrived yet";
      default:
        return `No reboot record received from the node (status ${row.status})`;
    }
  }
  if (row.totalMs !== null) return null;
  if (row.beforeLost)
    return "Unknown: the node's state from before the reboot was lost, so when it went down is not known";
  return "Unknown: the node did not report enough timestamps to measure this reboot";
}

/** A phase a full reboot cannot have: its clock restarted, so the points before it do not compare. */
export function unknownPhaseNote(rebootType: RebootType | null, phase: string): string | null {
  if (rebootType && rebootType !== "soft-reboot" && (phase === "signalToShutdownMs" || phase === "shutdownMs"))
    return `unknown (${rebootType === "kexec" ? "kexec" : "full reboot"})`;
  return null;
}
