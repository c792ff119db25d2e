import type { AgentEvent, ShutdownType } from "@softfleet/protocol";
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
  /** The shutdown last asked of logind, if the agent saw the call (see dbus/shutdown-requests.ts). */
  requested?: () => ShutdownType | null;
}

export interface ShutdownReport {
  eventId: string | null;
  /** Whether the server acked the event within ackTimeoutMs (for a soft-reboot, waited for after the release). */
  acked: boolean;
  /** Signal received -> delay lock released (its process killed): what the agent added to the shutdown. */
  addedDelayUsec: bigint | null;
  /** Resolves once the snapshot holds the units read after the signal (the agent waits for it before exiting). */
  refreshed: Promise<void>;
}

/**
 * The agent's whole job while logind waits for its delay lock: spool and send
 * the shutdown-signal event, save the "before" snapshot, release the lock.
 * For a soft-reboot that is all: the spool is in /run, which the soft-reboot
 * keeps, so the event is delivered (and acked) after it if not before. For
 * any other shutdown the server's ack is waited for (bounded) before the
 * release. The snapshot is written at once from the state last read, and the
 * units are read afresh after the release (systemd keeps a unit's
 * InvocationID while stopping it, so the fresh read still tells the
 * invocation that ran before). Everything here must finish well within
 * InhibitDelayMaxSec=; the ack wait is the only open-ended step and is capped.
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
  const requested = notice.start ? (deps.requested?.() ?? null) : null;
  const signal =
    notice.start && eventId
      ? { eventId, monotonicUsec: event.monotonicUsec, type: notice.type, ...(requested ? { requested } : {}) }
      : null;
  const saveBefore = () => {
    try {
      deps.saveBefore(signal);
    } catch (error) {
      log.error("shutdown: cannot save the state before it", { error: errorText(error) });
    }
  };

  if (!notice.start) {
    saveBefore();
    // Cancelled or failed: forget the announced reboot and hold a new lock for the next one.
    deps.retakeInhibitor();
    log.info("shutdown cancelled", { type: notice.type, eventId });
    return { eventId, acked: false, addedDelayUsec: null, refreshed: Promise.resolve() };
  }

  const sentMs = since();
  // A soft-reboot carries /run over: the event, durable in the spool there, is delivered after it
  // even if no ack comes now, so the lock goes at once. Any other shutdown empties /run: the
  // server's ack is waited for first (capped at ackTimeoutMs, well within logind's delay).
  const carriedOver = notice.type === "soft-reboot" && eventId !== null;
  // While the ack is awaited anyway, the state before it is saved first.
  if (!carriedOver) saveBefore();
  const ack = (): Promise<boolean> => (eventId ? deps.waitForAck(eventId, deps.ackTimeoutMs) : Promise.resolve(false));
  const ackedBeforeRelease = carriedOver ? null : await ack();
  const ackMs = carriedOver ? null : since();
  const { gone } = deps.releaseInhibitor();
  const addedDelayUsec = monotonicUsec() - receivedUsec;
  // A soft-reboot's lock goes first: the save right after it is synchronous, so no SIGTERM is handled
  // before it ends, and the lock's process takes longer than the save to exit anyway.
  if (carriedOver) saveBefore();
  // The units are read again once the lock's process is gone, as the shutdown's first jobs start.
  const refreshed = gone
    .then(() => deps.refreshBefore(signal))
    .then(() => log.debug("shutdown: units read again after the release", { savedMs: since() }))
    .catch((error) => log.warn("shutdown: cannot read the units again", { error: errorText(error) }));
  const [acked] = await Promise.all([ackedBeforeRelease ?? ack(), gone]);
  log.info("shutdown signal reported", {
    type: notice.type,
    eventId,
    acked,
    // "spool": released once the event was in /run's spool, which the soft-reboot keeps.
    releasedAfter: carriedOver ? "spool" : "ack",
    addedDelayMs: (Number(addedDelayUsec) / 1000).toFixed(1),
    sentMs,
    ackMs: ackMs ?? since(),
    // When this process saw the lock's process reaped: an upper bound of the release.
    reapedMs: since(),
  });
  return { eventId, acked, addedDelayUsec, refreshed };
}
