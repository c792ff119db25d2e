import { Worker } from "node:worker_threads";
import type { RolloutEngine } from "./engine";

export interface EngineThreadData {
  databaseUrl: string;
  pollMs?: number;
  /** Log every step that acted, with where its time went (SOFTFLEET_ENGINE_TIMINGS=1). */
  logSteps: boolean;
}
export type ToEngineThread = { type: "wake" } | { type: "close" };
export type FromEngineThread =
  | { type: "started" }
  | { type: "log"; line: string }
  | { type: "leading"; leading: boolean }
  | { type: "reboots-failed"; count: number }
  | { type: "closed" };

const RESTART_DELAY_MS = 1000;

/**
 * The rollout engine in a thread of its own: its steps do not wait behind
 * the gateway's work on the main event loop (a fleet's reconnections, its
 * heartbeats), and it has its own database connections. A thread that dies
 * is started again; the engine's state is all in Postgres, and the advisory
 * lock moves with its connection.
 */
export async function startRolloutEngineThread(
  data: EngineThreadData,
  log: (line: string) => void,
  /** Reboots the engine commanded and then failed, as it fails them (for the metrics). */
  onRebootsFailed: (count: number) => void = () => {},
): Promise<RolloutEngine> {
  let worker: Worker;
  let leading = false;
  let closing = false;
  let closed: (() => void) | null = null;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      worker = new Worker(new URL("./engine-worker.mjs", import.meta.url), { workerData: data });
      worker.on("message", (message: FromEngineThread) => {
        if (message.type === "started") resolve();
        else if (message.type === "log") log(message.line);
        else if (message.type === "leading") leading = message.leading;
        else if (message.type === "reboots-failed") onRebootsFailed(message.count);
        else if (message.type === "closed") closed?.();
      });
      worker.on("error", (error) => {
        log(`rollout engine: its thread failed: ${error.stack ?? error.message}`);
        reject(error);
      });
      worker.on("exit", (code) => {
        leading = false;
        closed?.();
        if (closing) return;
        log(`rollout engine: its thread exited (code ${code}); starting it again in ${RESTART_DELAY_MS / 1000} s`);
        setTimeout(() => {
          if (!closing) start().catch(() => {});
        }, RESTART_DELAY_MS).unref();
      });
    });

  await start();
  return {
    get leading() {
      return leading;
    },
    wake() {
      worker.postMessage({ type: "wake" } satisfies ToEngineThread);
    },
    async close() {
      closing = true;
      const done = new Promise<void>((resolve) => {
        closed = resolve;
      });
      worker.postMessage({ type: "close" } satisfies ToEngineThread);
      // A thread stuck in a step is not waited for long: the transaction rolls back with its connection.
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
      await Promise.race([done, timeout]);
      await worker.terminate();
    },
  };
}
