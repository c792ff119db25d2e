import type { PhasedRecord } from "./phase-bar";

type Timestamps = PhasedRecord["timestamps"];

function span(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const diff = BigInt(to) - BigInt(from);
  return diff < 0n ? null : Number(diff) / 1000;
}

/**
 * A reboot's phases in ms from its µs timestamps, as @softfleet/fleet's
 * phaseDurations computes them for node pages (rollouts.get sends the
 * timestamps only). After a full reboot the clock restarted: only the new
 * boot's points compare.
 */
export function phasesOf(timestamps: Timestamps, kind: string): PhasedRecord["phases"] {
  const soft = kind === "soft-reboot";
  const signal = soft ? timestamps.signalUsec : null;
  const shutdownStart = soft ? timestamps.shutdownStartUsec : null;
  const start = signal ?? shutdownStart ?? (soft ? null : timestamps.userspaceUsec);
  return {
    signalToShutdownMs: span(signal, shutdownStart),
    shutdownMs: span(shutdownStart, timestamps.userspaceUsec),
    bootMs: span(timestamps.userspaceUsec, timestamps.finishUsec),
    reconnectMs: span(timestamps.finishUsec, timestamps.agentConnectedUsec),
    totalMs: span(start, timestamps.agentConnectedUsec),
  };
}
