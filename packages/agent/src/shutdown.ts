import type { AgentEvent } from "@softfleet/protocol";
import { monotonicUsec } from "./host";
import { errorText, log } from "./log";
import type { ShutdownNotice } from "./signals";
import type { Snapshot } from "./snapshot";

export interface ShutdownDeps {
  publish: (event: AgentEvent) => string;
  waitForAck: (id: string, timeoutMs: number) => Promise<boolean>;
  /** Writes the "before" snapshot carrying this signal (reads the units afresh). */
  saveBefore: (signal: Snapshot["signal"]) => Promise<void>;
  releaseInhibitor: () => Promise<void>;
  retakeInhibitor: () => void;
  bootId: string;
  softRebootsCount: number | null;
  ackTimeoutMs: number;
}

export interface ShutdownReport {
  eventId: string | null;
  acked: boolean;
  /** Signal received -> delay lock released: what the agent added to the shutdown. */
  addedDelayUsec: bigint | null;
}

/**
 * The agent's whole job while logind waits for its delay lock: spool and send
 * the shutdown-signal event, save the "before" snapshot, wait (bounded) for
 * the server's ack, release the lock. Everything here must finish well within
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

  if (!notice.start) {
    // Cancelled or failed: forget the announced reboot and hold a new lock for the next one.
    await deps
      .saveBefore(null)
      .catch((error) => log.warn("shutdown: cannot save the state", { error: errorText(error) }));
    deps.retakeInhibitor();
    log.info("shutdown cancelled", { type: notice.type, eventId });
    return { eventId, acked: false, addedDelayUsec: null };
  }

  const sentMs = since();
  const signal = eventId ? { eventId, monotonicUsec: event.monotonicUsec, type: notice.type } : null;
  let ackMs: string | undefined;
  let savedMs: string | undefined;
  const [acked] = await Promise.all([
    eventId
      ? deps.waitForAck(eventId, deps.ackTimeoutMs).finally(() => {
          ackMs = since();
        })
      : false,
    deps
      .saveBefore(signal)
      .then(() => {
        savedMs = since();
      })
      .catch((error) => log.error("shutdown: cannot save the state before it", { error: errorText(error) })),
  ]);
  await deps.releaseInhibitor();
  const addedDelayUsec = monotonicUsec() - receivedUsec;
  log.info("shutdown signal reported", {
    type: notice.type,
    eventId,
    acked,
    addedDelayMs: (Number(addedDelayUsec) / 1000).toFixed(1),
    sentMs,
    ackMs,
    savedMs,
  });
  return { eventId, acked, addedDelayUsec };
}
