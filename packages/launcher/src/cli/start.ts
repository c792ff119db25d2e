import { parseArgs } from "node:util";
import { createPrismaClient, redact } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import type { SimulatedFleet } from "@softfleet/simagent";
import { demoLoginLine, ensureDemoAdmin } from "../demo";
import { loadStackEnv, StackEnvError } from "../env";
import { type LabFleet, labControl, labUnavailable, startLabFleet } from "../lab-fleet";
import { stepper } from "../progress";
import { DEMO_GROUP, startDemoFleet } from "../sim-fleet";
import { defaultDataDir, startStack } from "../stack";

let stopping = false;

/** `npm start`: the whole product on this machine, until Ctrl-C. */
async function main() {
  const { values: flags } = parseArgs({ options: { lab: { type: "string" }, sim: { type: "string" } } });
  const simNodes = Number(flags.sim ?? process.env.SOFTFLEET_SIM_NODES ?? 12);
  if (!Number.isInteger(simNodes) || simNodes < 0 || simNodes > 1000) {
    throw new StackEnvError(
      `--sim takes a number of simulated nodes from 0 to 1000, got "${flags.sim ?? process.env.SOFTFLEET_SIM_NODES}"`,
    );
  }
  const labNodes = flags.lab === undefined ? Number(process.env.SOFTFLEET_LAB_NODES ?? 0) : Number(flags.lab);
  if (!Number.isInteger(labNodes) || labNodes < 0 || labNodes > 20) {
    throw new StackEnvError(
      `--lab takes a number of nodes from 1 to 20, got "${flags.lab ?? process.env.SOFTFLEET_LAB_NODES}"`,
    );
  }
  const env = loadStackEnv();
  let lab: LabFleet | undefined;
  let sim: SimulatedFleet | undefined;
  /** Nodes being booted: a Ctrl-C meanwhile waits for them, then halts them too. */
  let labStarting: Promise<LabFleet> | undefined;
  const root = repoRoot();
  const dataDir = env.SOFTFLEET_DATA_DIR ?? defaultDataDir(root);
  const progress = stepper(4 + (labNodes > 0 ? 1 : 0) + (simNodes > 0 ? 1 : 0));
  const quiet = new Set(["postgres"]);
  const abort = new AbortController();
  // Lab nodes reach control on the lab network's gateway, over TLS with the lab's CA.
  if (labNodes > 0 && process.env.CONTROL_TLS_CERT) {
    throw new StackEnvError(
      "--lab serves control with the lab's own certificate (for the lab network's address): unset CONTROL_TLS_CERT and CONTROL_TLS_KEY, or boot nodes yourself with `npm run lab -- up --control-url`",
    );
  }
  const forLab = labNodes > 0 ? await labControl() : undefined;
  const starting = startStack({
    ...forLab,
    signal: abort.signal,
    root,
    dataDir,
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL,
    pgPort: env.SOFTFLEET_PG_PORT,
    host: env.HOST,
    webPort: env.PORT,
    controlPort: env.CONTROL_PORT,
    step: progress.step,
    log: (source, line) => {
      if (quiet.has(source) && !/FATAL|PANIC|ERROR/.test(line)) return;
      console.error(line.startsWith(`[${source}]`) ? line : `[${source}] ${line}`);
    },
  });

  // Signals are handled from the first moment: a Ctrl-C while starting stops
  // what has started so far (startStack cleans up when aborted).
  const shutdown = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n[softfleet] ${reason}: stopping web, control and the database…`);
    abort.abort(new Error(`stopped by ${reason}`));
    const stack = await starting.catch(() => undefined);
    await sim?.stop().catch(() => {});
    const fleet = lab ?? (await labStarting?.catch(() => undefined));
    await fleet?.stop().catch((error: Error) => console.error(`[softfleet] stopping the lab: ${error.message}`));
    await stack?.stop();
    // An app that had to be cut off (or failed on its way out) is said, and fails the exit code.
    const unclean = [];
    for (const app of stack ? [stack.control, stack.web] : []) {
      const exitCode = await app.exited;
      if (exitCode !== 0)
        unclean.push(`${app.name} exited with ${exitCode === null ? "a signal" : `code ${exitCode}`}`);
    }
    if (unclean.length === 0) console.error("[softfleet] stopped cleanly");
    else console.error(`[softfleet] stopped, not cleanly: ${unclean.join(", ")} (its last lines above say why)`);
    process.exit(unclean.length === 0 ? code : 1);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const stack = await starting.catch((error: Error) => {
    if (stopping) return new Promise<never>(() => {}); // shutdown() exits
    throw error;
  });

  progress.step("checking the login");
  const db = createPrismaClient(stack.database.url);
  const demo = await ensureDemoAdmin(db, dataDir);
  if (simNodes > 0) {
    progress.step(`starting ${simNodes} simulated nodes (marked simulated; \`--sim 0\` starts none)`);
    try {
      sim = await startDemoFleet({ db, controlUrl: stack.control.url, dataDir, count: simNodes });
    } catch (error) {
      console.error(`[softfleet] the simulated nodes could not start: ${(error as Error).message}`);
    }
  }
  await db.$disconnect();

  if (labNodes > 0) {
    progress.step(`booting ${labNodes} real systemd node${labNodes > 1 ? "s" : ""} (Debian trixie in systemd-nspawn)`);
    try {
      labStarting = startLabFleet({
        databaseUrl: stack.database.url,
        controlUrl: stack.control.url,
        caFile: forLab?.controlTls.caFile,
        nodes: labNodes,
      });
      lab = await labStarting;
    } catch (error) {
      console.error(`[softfleet] the lab could not start: ${(error as Error).message}`);
      await shutdown("the lab failed", 1);
    }
  }
  const labHint = labNodes > 0 ? null : await labUnavailable().catch(() => "the lab could not be checked");

  const lines = [
    "",
    `  softfleet is running: ${stack.web.url}`,
    `  control plane:        ${stack.control.url}/healthz`,
    stack.control.url.startsWith("https:")
      ? `  agents:               TLS (${forLab ? `the lab's certificate; lab nodes reach control at ${forLab.controlExtraHosts.join(", ")}` : "control's certificate from CONTROL_TLS_CERT"})`
      : "  agents:               plain HTTP, on loopback only (for other hosts set CONTROL_TLS_CERT and CONTROL_TLS_KEY: see SECURITY.md)",
    `  database:             ${stack.database.embedded ? `embedded PostgreSQL, files in ${stack.database.dataDir}` : redact(stack.database.url)}`,
  ];
  if (stack.privilegeWarning) lines.push(`  WARNING:              ${stack.privilegeWarning}`);
  if (demo.state === "ready") {
    lines.push(demoLoginLine(demo, dataDir));
  } else if (demo.state === "changed") {
    lines.push(
      `  log in as:            ${demo.username} (its demo password was changed; \`npm run user -- reset-password --username ${demo.username}\` sets a new one)`,
    );
  } else {
    lines.push(
      "  log in:               create the first admin with `npm run user -- create --role admin --username <name>`",
    );
  }
  if (sim) {
    lines.push(`  simulated nodes:      ${sim.nodes.length} (group "${DEMO_GROUP}", version 2 staged: try a rollout)`);
  }
  if (lab) {
    for (const node of lab.nodes)
      lines.push(
        `  lab node:             ${node.name} (demo services ${node.urls.survivor} and ${node.urls.ordinary})`,
      );
  } else if (labHint === null) {
    lines.push("  real nodes:           `npm start -- --lab 3` boots three Debian trixie nodes running the agent");
  }
  lines.push(`  started in ${(progress.elapsedMs() / 1000).toFixed(1)} s; press Ctrl-C to stop`, "");
  console.log(lines.join("\n"));

  for (const app of [stack.web, stack.control]) {
    void app.exited.then(() => shutdown(`${app.name} exited unexpectedly`, 1));
  }
}

main().catch((error) => {
  if (stopping) return; // a Ctrl-C mid-start: shutdown() reports and exits
  const message = error instanceof StackEnvError ? error.message : (error as Error).message;
  console.error(`\n[softfleet] could not start: ${message}`);
  console.error("[softfleet] fix the cause above and run `npm start` again; `npm start` is safe to re-run.");
  process.exit(1);
});
