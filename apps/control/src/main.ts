import cluster from "node:cluster";
import type { Server as TlsServer } from "node:tls";
import { createPrismaClient, redact } from "@softfleet/db";
import { privilegeWarning } from "@softfleet/db/roles";
import { runPrimary } from "./cluster";
import { EnvError, loadEnv } from "./env";
import { attachFleetLock } from "./fleetlock/route";
import { attachGateway } from "./gateway/gateway";
import { listenOnAll } from "./listen";
import { startPartitionKeeper } from "./maintenance/partitions";
import { clusterWorkerMetrics, serveClusterMetrics } from "./metrics/cluster-metrics";
import { createMetrics, METRICS_PATH, type MetricsAccess, metricsRoute } from "./metrics/metrics";
import { startReportWarmer } from "./reports/warm";
import { startRolloutEngineThread } from "./rollouts/engine-thread";
import { createControlServer } from "./server";
import { exitWithSupervisor } from "./supervisor";
import { readTls, recordControlTls } from "./tls";
import { startWebhookWorker } from "./webhooks/worker";

const worker = process.env.SOFTFLEET_CONTROL_WORKER;
const log = (message: string) => console.error(`[control${worker ? ` ${worker}` : ""}] ${message}`);

async function main() {
  const env = loadEnv();
  const db = createPrismaClient(env.DATABASE_URL, "softfleet-control");
  try {
    await db.$queryRaw`SELECT 1`;
  } catch (error) {
    throw new Error(`cannot reach the database at ${redact(env.DATABASE_URL)}: ${(error as Error).message}`);
  }
  const privileges = await privilegeWarning(env.DATABASE_URL).catch(
    (error: Error) => `could not check its database role's rights: ${error.message}`,
  );
  if (privileges) log(`WARNING: ${privileges}`);
  const tlsFiles =
    env.CONTROL_TLS_CERT && env.CONTROL_TLS_KEY
      ? { certFile: env.CONTROL_TLS_CERT, keyFile: env.CONTROL_TLS_KEY }
      : null;
  const tls = tlsFiles ? readTls(tlsFiles) : null;
  const server = createControlServer(db, tls ?? undefined, { imagesDir: env.SOFTFLEET_IMAGES_DIR });
  await recordControlTls(db, tls?.fingerprint ?? null).catch((error: Error) =>
    log(`could not record the certificate's fingerprint for Settings: ${error.message}`),
  );
  const metrics = createMetrics(db);
  const metricsAccess: MetricsAccess = env.SOFTFLEET_METRICS_TOKEN
    ? { token: env.SOFTFLEET_METRICS_TOKEN }
    : env.SOFTFLEET_METRICS_OPEN === "1"
      ? { open: true }
      : null;
  // Behind one address with others, a scrape answers for every process.
  const metricsSource = cluster.isWorker ? clusterWorkerMetrics(metrics.registry) : metrics.registry;
  server.route(METRICS_PATH, metricsRoute(metricsSource, metricsAccess, log));
  attachFleetLock(server, db, log);
  const gateway = await attachGateway(server, db, { databaseUrl: env.DATABASE_URL, metrics });
  // Its own thread and connections: a fleet reconnecting at once must not make the engine wait.
  const engine = await startRolloutEngineThread(
    { databaseUrl: env.DATABASE_URL, logSteps: env.SOFTFLEET_ENGINE_TIMINGS === "1" },
    log,
    (count) => metrics.gateway.rebootsFailed(count),
  );
  const closeRelays = await listenOnAll(server, env.CONTROL_HOST, env.CONTROL_PORT);
  const scheme = tls ? "https" : "http";
  const addresses = env.CONTROL_HOST.map(
    (host) => `${scheme}://${host.includes(":") ? `[${host}]` : host}:${env.CONTROL_PORT}`,
  );
  log(`listening on ${addresses.join(", ")} (GET /healthz, agents on /agent/v1)`);
  log(
    metricsAccess
      ? `Prometheus metrics at ${METRICS_PATH} (${"token" in metricsAccess ? "with the bearer token SOFTFLEET_METRICS_TOKEN" : "open: SOFTFLEET_METRICS_OPEN=1"})`
      : `Prometheus metrics off: set SOFTFLEET_METRICS_TOKEN to scrape ${METRICS_PATH}`,
  );
  log("FleetLock (Zincati) at /fleetlock/<secret>/v1/{pre-reboot,steady-state}: turned on per group on its page");
  if (env.SOFTFLEET_IMAGES_DIR) log(`serving images to enrolled agents at /images/ from ${env.SOFTFLEET_IMAGES_DIR}`);
  if (tls) log(`TLS certificate SHA-256 fingerprint ${tls.fingerprint} (agents may pin it: pinnedFingerprint)`);
  else if (!env.CONTROL_HOST.every(isLoopback)) {
    log("WARNING: plain HTTP off loopback: set CONTROL_TLS_CERT and CONTROL_TLS_KEY, or put a TLS proxy in front");
  }
  // SIGHUP reloads the certificate and key (a renewed certificate) without dropping a connection.
  process.on("SIGHUP", () => {
    if (!tlsFiles) return log("SIGHUP: no TLS configured, nothing to reload");
    try {
      const next = readTls(tlsFiles);
      (server as unknown as TlsServer).setSecureContext({ cert: next.cert, key: next.key, minVersion: "TLSv1.2" });
      log(`SIGHUP: TLS certificate reloaded, SHA-256 fingerprint ${next.fingerprint}`);
      void recordControlTls(db, next.fingerprint).catch((error: Error) =>
        log(`SIGHUP: could not record the new fingerprint for Settings: ${error.message}`),
      );
    } catch (error) {
      log(`SIGHUP: TLS reload failed, keeping the certificate in use: ${(error as Error).message}`);
    }
  });
  const warmer = startReportWarmer(db, log);
  const partitions = startPartitionKeeper(db, { retentionDays: env.SOFTFLEET_RETENTION_DAYS, log });
  const webhooks = startWebhookWorker(db, {
    publicUrl: env.SOFTFLEET_PUBLIC_URL ?? null,
    timeoutMs: env.SOFTFLEET_WEBHOOK_TIMEOUT_SEC * 1000,
    log: (line) => log(`webhooks: ${line}`),
    onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    // The gateway's own writes (the nodes it disconnects marked offline, the last heartbeats) end
    // before the database's pool does: cut off, they would fail and the pool's close would hang.
    const gatewayClosed = gateway
      .close()
      .catch((error: Error) => log(`closing the agents' connections failed: ${error.message}`));
    const engineClosed = engine.close();
    const warmerClosed = warmer.close();
    const partitionsClosed = partitions.close();
    const webhooksClosed = webhooks.close();
    closeRelays();
    server.closeIdleConnections();
    server.close(async () => {
      await gatewayClosed;
      await engineClosed;
      await warmerClosed;
      await partitionsClosed;
      await webhooksClosed;
      await db.$disconnect();
      log("stopped");
      process.exit(0);
    });
    setTimeout(() => {
      log("connections did not close within 10 s; exiting");
      process.exit(1);
    }, 10_000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  exitWithSupervisor(stop);
  // A worker whose primary died (kill -9) must not linger, holding agents nobody supervises.
  if (cluster.isWorker) process.on("disconnect", () => stop("the primary process is gone"));
}

function isLoopback(host: string) {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Several processes behind one address (CONTROL_PROCESSES), or this one alone. */
function entry() {
  const env = loadEnv();
  if (env.CONTROL_PROCESSES === 1 || !cluster.isPrimary) return main();
  log(`starting ${env.CONTROL_PROCESSES} control processes behind one address`);
  serveClusterMetrics();
  const primary = runPrimary(env.CONTROL_PROCESSES, log, () => {
    log("stopped");
    process.exit(0);
  });
  process.on("SIGTERM", () => primary.stop("SIGTERM"));
  process.on("SIGINT", () => primary.stop("SIGINT"));
  exitWithSupervisor(primary.stop);
  return Promise.resolve();
}

Promise.resolve()
  .then(entry)
  .catch((error) => {
    log(error instanceof EnvError ? error.message : `failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
