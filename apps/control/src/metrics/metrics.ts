import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@softfleet/db";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { sendJson } from "../gateway/http";
import { registerFleetMetrics } from "./fleet-metrics";
import { GatewayMetrics } from "./gateway-metrics";

export const METRICS_PATH = "/metrics";

/** Who may scrape: holders of the token, or (open) anyone who can reach a private address. */
export type MetricsAccess = { token: string } | { open: true } | null;

export interface ControlMetrics {
  registry: Registry;
  gateway: GatewayMetrics;
  /** Webhook delivery attempts by how they ended. */
  webhookDeliveries: Counter<"outcome">;
}

/** What a scrape reads: this process's registry, or (several processes) the cluster's merged metrics. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/**
 * The control process's metrics for Prometheus (prom-client): the process's
 * own (CPU, memory, event loop, GC), the gateway's (connections, messages,
 * events, ack lag, reboots and their phases, the batch writers), and the
 * fleet's as Postgres holds it (read at scrape time).
 */
export function createMetrics(db: Db): ControlMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerFleetMetrics(registry, db);
  const webhookDeliveries = new Counter({
    name: "softfleet_webhook_deliveries_total",
    help: "Webhook delivery attempts by this process, by outcome (succeeded, retrying, failed)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return { registry, gateway: new GatewayMetrics(registry), webhookDeliveries };
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * GET /metrics in Prometheus's text format. With a token, only a request
 * bearing it is answered (401 otherwise, compared in constant time); open,
 * anyone's; with neither, the endpoint says how to turn it on.
 */
export function metricsRoute(source: MetricsSource, access: MetricsAccess, log: (line: string) => void) {
  const expected = access && "token" in access ? digest(access.token) : null;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendJson(res, 405, { error: `use GET for ${METRICS_PATH}` });
    }
    if (!access) {
      return sendJson(res, 404, {
        error:
          "metrics are off: set SOFTFLEET_METRICS_TOKEN (scrapers send it as a bearer token), or SOFTFLEET_METRICS_OPEN=1 when control listens only on private addresses",
      });
    }
    if (expected) {
      const header = req.headers.authorization ?? "";
      const match = /^Bearer (.+)$/.exec(header);
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="softfleet metrics"');
        return sendJson(res, 401, { error: "send the metrics token: Authorization: Bearer <SOFTFLEET_METRICS_TOKEN>" });
      }
    }
    source
      .metrics()
      .then((text) => {
        res.writeHead(200, { "Content-Type": source.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      })
      .catch((error: Error) => {
        log(`${METRICS_PATH}: ${error.message}`);
        sendJson(res, 503, { error: "the metrics could not be read now (the database?); see control's log" });
      });
  };
}
