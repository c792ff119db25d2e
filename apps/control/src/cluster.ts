import cluster, { type Worker } from "node:cluster";

/** A worker that lived this long had a good run: the next restart waits the shortest time again. */
const STEADY_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Several control processes behind one address (CONTROL_PROCESSES): this
 * primary process forks the workers, which share its listening sockets
 * (node:cluster hands each new connection to one of them), and does nothing
 * else. Each worker is a whole control process: gateway, rollout engine
 * (one leads at a time, by a Postgres advisory lock) and report warmer; they
 * share the fleet through Postgres (commands by NOTIFY reach whichever holds
 * the node's connection). A worker that dies is started again, waiting
 * longer after each quick death; its agents reconnect meanwhile to the
 * others. SIGTERM or SIGINT stops the workers, then the primary.
 */
export function runPrimary(count: number, log: (line: string) => void, onStopped: () => void) {
  let stopping = false;
  const slots = new Map<number, { worker: Worker; startedAt: number; backoffMs: number }>();

  const start = (slot: number, backoffMs: number) => {
    const worker = cluster.fork({ SOFTFLEET_CONTROL_WORKER: String(slot) });
    slots.set(slot, { worker, startedAt: Date.now(), backoffMs });
    log(`worker ${slot} started (pid ${worker.process.pid})`);
    worker.on("exit", (code, signal) => {
      const entry = slots.get(slot);
      if (entry?.worker !== worker) return;
      slots.delete(slot);
      if (stopping) {
        if (slots.size === 0) onStopped();
        return;
      }
      const steady = Date.now() - entry.startedAt > STEADY_MS;
      const wait = steady ? 1_000 : Math.min(entry.backoffMs * 2, MAX_BACKOFF_MS);
      log(
        `worker ${slot} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); starting it again in ${wait / 1000} s`,
      );
      setTimeout(() => {
        if (!stopping) start(slot, wait);
      }, wait);
    });
  };
  for (let slot = 1; slot <= count; slot++) start(slot, 500);

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping ${slots.size} worker(s)`);
    if (slots.size === 0) return onStopped();
    for (const { worker } of slots.values()) worker.process.kill("SIGTERM");
    setTimeout(() => {
      log("workers did not stop within 15 s; killing them");
      for (const { worker } of slots.values()) worker.process.kill("SIGKILL");
    }, 15_000).unref();
  };
  return { stop };
}
