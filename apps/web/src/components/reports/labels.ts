/** Names of the report's phases and reboot types, as people read them. */

export const PHASE_KEYS = ["signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs"] as const;
export type PhaseKey = (typeof PHASE_KEYS)[number];
export const BAR_PHASES = PHASE_KEYS.filter((key) => key !== "totalMs");

export const PHASE_LABELS: Record<PhaseKey, string> = {
  signalToShutdownMs: "Shutdown (signal → ShutdownStart)",
  shutdownMs: "Userspace start (ShutdownStart → Userspace)",
  bootMs: "Boot to finished (Userspace → Finish)",
  reconnectMs: "Agent reconnect (Finish → agent)",
  totalMs: "Total",
};

export const PHASE_SHORT: Record<PhaseKey, string> = {
  signalToShutdownMs: "Shutdown",
  shutdownMs: "Userspace start",
  bootMs: "Boot",
  reconnectMs: "Reconnect",
  totalMs: "Total",
};

/** Chart fills that read on white and on zinc-950 alike. */
export const PHASE_COLORS: Record<PhaseKey, string> = {
  signalToShutdownMs: "#7c3aed",
  shutdownMs: "#0284c7",
  bootMs: "#059669",
  reconnectMs: "#d97706",
  totalMs: "#71717a",
};

export const TYPE_LABELS: Record<string, string> = {
  "soft-reboot": "Soft-reboot",
  "full-reboot": "Full reboot",
  kexec: "kexec",
};

export const TYPE_COLORS: Record<string, string> = {
  "soft-reboot": "#0284c7",
  "full-reboot": "#dc2626",
  kexec: "#9333ea",
};

export const TRIGGER_LABELS: Record<string, string> = {
  rollout: "Rollout",
  rollback: "Rollback",
  manual: "Manual",
  external: "External",
};

/** What to show for a phase a reboot type cannot have. */
export function impossiblePhase(rebootType: string | null | undefined, phase: PhaseKey): string | null {
  if (!rebootType || rebootType === "soft-reboot") return null;
  if (phase !== "signalToShutdownMs" && phase !== "shutdownMs") return null;
  return `unknown (${rebootType === "kexec" ? "kexec" : "full reboot"})`;
}

/** The height of the phases-per-node chart for `count` nodes (reserved while the chart loads). */
export const phaseBarsHeight = (count: number) => Math.max(160, count * 26 + 60);
