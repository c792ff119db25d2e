import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import { AggregatorRegistry, type Registry } from "prom-client";

/** One process's metrics as getMetricsAsJSON gives them. */
type ProcessMetrics = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/**
 * Several control processes behind one address (CONTROL_PROCESSES): a scrape
 * reaches one worker, which must answer for all of them. It asks the primary,
 * which asks every worker for its metrics (IPC), merges them with
 * prom-client's AggregatorRegistry (counters and histograms summed, the
 * fleet's gauges by max: each process read the same database) and hands
 * the text back.
 */
const GATHER = "softfleet:metrics-gather";
const REPORT = "softfleet:metrics-report";
const COLLECT = "softfleet:metrics-collect";
const MERGED = "softfleet:metrics-merged";
/** A worker that has not answered by then is left out (it may be starting, or stuck). */
const WORKER_TIMEOUT_MS = 3_000;

type Message = { type?: string; id?: string; metrics?: ProcessMetrics; text?: string; error?: string };

/** In a worker: answers the primary's collections, and gathers the whole cluster's metrics for a scrape. */
export function clusterWorkerMetrics(registry: Registry) {
  const waiting = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on("message", (message: Message) => {
    if (message?.type === COLLECT && message.id) {
      void registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: REPORT, id: message.id, metrics }),
        (error: Error) => process.send?.({ type: REPORT, id: message.id, error: error.message }),
      );
    }
    if (message?.type === MERGED && message.id) {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(message.error));
      else pending?.resolve(message.text ?? "");
    }
  });
  return {
    contentType: registry.contentType,
    metrics(): Promise<string> {
      const id = randomUUID();
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        process.send?.({ type: GATHER, id });
        setTimeout(() => {
          if (waiting.delete(id)) reject(new Error("the primary process did not answer with the cluster's metrics"));
        }, WORKER_TIMEOUT_MS * 2).unref();
      });
    },
  };
}

/** In the primary: merges every worker's metrics for the worker whose scrape asked. */
export function serveClusterMetrics() {
  const collections = new Map<
    string,
    { reports: ProcessMetrics[]; expected: number; done: (error?: string) => void }
  >();
  cluster.on("message", (worker, message: Message) => {
    if (message?.type === REPORT && message.id) {
      const collection = collections.get(message.id);
      if (!collection) return;
      if (message.metrics) collection.reports.push(message.metrics);
      if (--collection.expected === 0) collection.done();
      return;
    }
    if (message?.type !== GATHER || !message.id) return;
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
    const id = randomUUID();
    const reports: ProcessMetrics[] = [];
    let answered = false;
    const answer = (error?: string) => {
      if (answered) return;
      answered = true;
      collections.delete(id);
      if (!worker.isConnected()) return;
      if (error) return worker.send({ type: MERGED, id: message.id, error });
      AggregatorRegistry.aggregate(reports)
        .metrics()
        .then(
          (text) => worker.send({ type: MERGED, id: message.id, text }),
          (failure: Error) => worker.send({ type: MERGED, id: message.id, error: failure.message }),
        );
    };
    collections.set(id, { reports, expected: workers.length, done: answer });
    for (const each of workers) each?.send({ type: COLLECT, id });
    setTimeout(() => answer(reports.length ? undefined : "no control process answered"), WORKER_TIMEOUT_MS).unref();
  });
}
