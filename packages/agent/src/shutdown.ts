import type { AgentEvent } from "@softfleet/protocol";
import { monotonicUsec } from "./host";
import { errorText, log } from "./log";
import type { ShutdownNotice } from "./signals";
import type { Snapshot } from "./snapshot";

export interface ShutdownDeps {
  publish: (event: AgentEvent) => string;
  waitForAck: (id: string, timeoutMs: number) => Promise<boolean>;
  /** Saves the "before" snapshot carrying this signal from the state last read (synchronous, no D-Bus). */
  saveBefore: (signal: Snapshot["signal"]) => void;
  /** Reads the watched units afresh and saves the snapshot again (after the lock is released). */
  refreshBefore: (signal: Snapshot["signal"]) => Promise<void>;
  /** Releases the delay lock at once; `gone` resolves when the lock's process is reaped. */
  releaseInhibitor: () => { gone: Promise<void> };
  retakeInhibitor: () => void;
  bootId: string;
  softRebootsCount: number | null;
  ackTimeoutMs: number;
}

export interface ShutdownReport {
  eventId: string | null;
  acked: boolean;
  /** Signal received -> delay lock released (its process killed): what the agent added to the shutdown. */
  addedDelayUsec: bigint | null;
  /** Resolves once the snapshot holds the units read after the signal (the agent waits for it before exiting). */
  refreshed: Promise<void>;
}

/**
 * The agent's whole job while logind waits for its delay lock: spool and send
 * the shutdown-signal event, save the "before" snapshot, wait (bounded) for
 * the server's ack, release the lock. Only the ack is waited for: the
 * snapshot is written at once from the state last read, and the units are
 * read afresh after the release (systemd keeps a unit's InvocationID while
 * stopping it, so the fresh read still tells the invocation that ran before).
 * Everything here must finish well within InhibitDelayMaxSec=; the ack wait
 * is the only open-ended step and is capped.
 */
export async function handleShutdownNotice(
  notice: ShutdownNotice,
  receivedUsec: bigint,
  deps: ShutdownDeps,
): Promise<ShutdownReport> {
  const event: AgentEvent = {
    type: "shutdown-signal",
    start: notice.start,
    shutdownType: notice.type,
    monotonicUsec: receivedUsec.toString(),
    wallclock: new Date().toISOString(),
    bootId: deps.bootId,
    softRebootsCount: deps.softRebootsCount,
  };
  // Milliseconds since the signal, for the log line that breaks the added delay down.
  const since = () => (Number(monotonicUsec() - receivedUsec) / 1000).toFixed(1);
  let eventId: string | null = null;
  try {
    eventId = deps.publish(event);
  } catch (error) {
    // A full disk must not hold the shutdown up: log, save what can be saved, release.
    log.error("shutdown: cannot spool the signal event", { error: errorText(error) });
  }
  const signal = notice.start && eventId ? { eventId, monotonicUsec: event.monotonicUsec, type: notice.type } : null;
  try {
    deps.saveBefore(signal);
  } catch (error) {
    log.error("shutdown: cannot save the state before it", { error: errorText(error) });
  }

  if (!notice.start) {
    // Cancelled or failed: forget the announced reboot and hold a new lock for the next one.
    deps.retakeInhibitor();
    log.info("shutdown cancelled", { type: notice.type, eventId });
    return { eventId, acked: false, addedDelayUsec: null, refreshed: Promise.resolve() };
  }

  const sentMs = since();
  const acked = eventId ? await deps.waitForAck(eventId, deps.ackTimeoutMs) : false;
  const ackMs = since();
  const { gone } = deps.releaseInhibitor();
  const addedDelayUsec = monotonicUsec() - receivedUsec;
  await gone;
  log.info("shutdown signal reported", {
    type: notice.type,
    eventId,
    acked,
    addedDelayMs: (Number(addedDelayUsec) / 1000).toFixed(1),
    sentMs,
    ackMs,
    // When this process saw the lock's process reaped: an upper bound of the release.
    reapedMs: since(),
  });
  const refreshed = deps
    .refreshBefore(signal)
    .then(() => log.debug("shutdown: units read again after the release", { savedMs: since() }))
    .catch((error) => log.warn("shutdown: cannot read the units again", { error: errorText(error) }));
  return { eventId, acked, addedDelayUsec, refreshed };
}
