import { createPrismaClient, redact } from "@softfleet/db";
import { EnvError, loadEnv } from "./env";
import { attachGateway } from "./gateway/gateway";
import { startReportWarmer } from "./reports/warm";
import { startRolloutEngineThread } from "./rollouts/engine-thread";
import { createControlServer } from "./server";
import { exitWithSupervisor } from "./supervisor";

const log = (message: string) => console.error(`[control] ${message}`);

async function main() {
  const env = loadEnv();
  const db = createPrismaClient(env.DATABASE_URL);
  try {
    await db.$queryRaw`SELECT 1`;
  } catch (error) {
    throw new Error(`cannot reach the database at ${redact(env.DATABASE_URL)}: ${(error as Error).message}`);
  }
  const server = createControlServer(db);
  const gateway = await attachGateway(server, db, { databaseUrl: env.DATABASE_URL });
  // Its own thread and connections: a fleet reconnecting at once must not make the engine wait.
  const engine = await startRolloutEngineThread(
    { databaseUrl: env.DATABASE_URL, logSteps: env.SOFTFLEET_ENGINE_TIMINGS === "1" },
    log,
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${env.CONTROL_PORT} is in use: set CONTROL_PORT to a free port`)
          : error,
      ),
    );
    server.listen(env.CONTROL_PORT, env.CONTROL_HOST, resolve);
  });
  log(`listening on http://${env.CONTROL_HOST}:${env.CONTROL_PORT} (GET /healthz, agents on /agent/v1)`);
  const warmer = startReportWarmer(db, log);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    void gateway.close();
    const engineClosed = engine.close();
    const warmerClosed = warmer.close();
    server.closeIdleConnections();
    server.close(async () => {
      await engineClosed;
      await warmerClosed;
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
}

main().catch((error) => {
  log(error instanceof EnvError ? error.message : `failed to start: ${(error as Error).message}`);
  process.exit(1);
});
