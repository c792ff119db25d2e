import type { RebootRecordEvent } from "@softfleet/protocol";

/**
 * A reboot's phases in milliseconds, from the node's own CLOCK_MONOTONIC
 * timestamps (µs). A phase is null when either end is unknown; nothing is
 * guessed.
 */
export interface PhaseTimestamps {
  signalUsec: bigint | null;
  shutdownStartUsec: bigint | null;
  userspaceUsec: bigint | null;
  finishUsec: bigint | null;
  agentConnectedUsec: bigint | null;
}

export interface PhaseDurations {
  /** Signal received -> PID 1 began the shutdown (the agent's delay lock is part of this). */
  signalToShutdownMs: number | null;
  /** ShutdownStart -> Userspace: systemd-analyze's "soft reboot" time. */
  shutdownMs: number | null;
  /** Userspace -> Finish: the new userspace booting. */
  bootMs: number | null;
  /** Finish -> the agent connected to the control plane again. */
  reconnectMs: number | null;
  /** First known point -> agent connected. */
  totalMs: number | null;
}

const big = (value: string | null) => (value === null ? null : BigInt(value));

/** An agent's reboot record's phases (decimal µs strings, validated) as timestamps. */
export function phaseTimestampsOf(
  phases: RebootRecordEvent["phases"],
): PhaseTimestamps & { agentConnectedUsec: bigint } {
  return {
    signalUsec: big(phases.signalUsec),
    shutdownStartUsec: big(phases.shutdownStartUsec),
    userspaceUsec: big(phases.userspaceUsec),
    finishUsec: big(phases.finishUsec),
    agentConnectedUsec: BigInt(phases.agentConnectedUsec),
  };
}

function span(from: bigint | null, to: bigint | null): number | null {
  if (from === null || to === null || to < from) return null;
  return Number(to - from) / 1000;
}

export function phaseDurations(t: PhaseTimestamps, kind: string): PhaseDurations {
  // After a full reboot the monotonic clock started again: only the new boot's points compare.
  const soft = kind === "soft-reboot";
  const signal = soft ? t.signalUsec : null;
  const shutdownStart = soft ? t.shutdownStartUsec : null;
  const start = signal ?? shutdownStart ?? (soft ? null : t.userspaceUsec);
  return {
    signalToShutdownMs: span(signal, shutdownStart),
    shutdownMs: span(shutdownStart, t.userspaceUsec),
    bootMs: span(t.userspaceUsec, t.finishUsec),
    reconnectMs: span(t.finishUsec, t.agentConnectedUsec),
    totalMs: span(start, t.agentConnectedUsec),
  };
}
