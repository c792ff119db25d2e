import { parentPort, workerData } from "node:worker_threads";
import { createPrismaClient } from "@softfleet/db";
import { startRolloutEngine } from "./engine";
import type { EngineThreadData, FromEngineThread, ToEngineThread } from "./engine-thread";

/** The worker side of engine-thread.ts: its own event loop and its own database connections. */
const port = parentPort;
if (!port) throw new Error("engine-worker.ts runs as a worker thread (see engine-thread.ts)");
const data = workerData as EngineThreadData;
const send = (message: FromEngineThread) => port.postMessage(message);

const db = createPrismaClient(data.databaseUrl, "softfleet-control engine");
const engine = await startRolloutEngine({
  db,
  databaseUrl: data.databaseUrl,
  pollMs: data.pollMs,
  log: (line) => send({ type: "log", line }),
  onLeading: (leading) => send({ type: "leading", leading }),
  onStep: (step) => {
    if (step.failedReboots > 0) send({ type: "reboots-failed", count: step.failedReboots });
    if (!data.logSteps) return;
    send({
      type: "log",
      line: `rollout engine: step of ${step.rolloutId} took ${step.durationMs.toFixed(1)} ms: ${step.actions} actions (${step.kinds.join(", ")}), ${step.commanded} reboots commanded; load ${step.timings?.loadMs.toFixed(1)} ms, decide ${step.timings?.decideMs.toFixed(1)} ms, write ${step.timings?.persistMs.toFixed(1)} ms`,
    });
  },
});
port.on("message", async (message: ToEngineThread) => {
  if (message.type === "wake") engine.wake();
  if (message.type === "close") {
    await engine.close();
    await db.$disconnect();
    send({ type: "closed" });
    port.close();
  }
});
send({ type: "started" });
