import { type RunningAgent, startAgent } from "./agent";
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig } from "./config";
import { EnrollmentError, rotateCredential } from "./enroll";
import { readHostname, readMachineId, realHost } from "./host";
import { errorText, log } from "./log";
import { AGENT_VERSION } from "./node-state";
import { runStageWorker } from "./stage-worker";

const HELP = `softfleet-agent ${AGENT_VERSION}: the softfleet node agent

Usage: softfleet-agent [--config PATH] [--check-config] [--rotate-credential] [--version] [--help]
       softfleet-agent [--config PATH] stage-worker COMMAND-ID

Watches logind's shutdown signal over the system D-Bus, holds a shutdown delay
lock so it can report a shutdown before it proceeds, measures soft-reboots from
systemd's own timestamps and streams all of it to the softfleet control plane.

  --config PATH    the JSON config (default ${DEFAULT_CONFIG_PATH}, or SOFTFLEET_AGENT_CONFIG)
  --check-config   validate the config, print it without secrets, exit
  --rotate-credential
                   replace this node's credential (enrolls with the current one),
                   save the new one and exit; a running agent switches to it
  --version        print the version
  stage-worker ID  stage the image a stage command asked for (run by
                   softfleet-stager@ID.service, which may mount; the agent
                   itself may not), writing progress and result for the agent

Environment: SOFTFLEET_CONTROL_URL and SOFTFLEET_ENROLLMENT_TOKEN override the
file; DBUS_SYSTEM_BUS_ADDRESS picks the system bus; SOFTFLEET_LOG_LEVEL=debug.
`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  if (argv.includes("--version")) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return;
  }
  const config = loadConfig({ argv, env: process.env });
  if (argv.includes("--check-config")) {
    const { enrollmentToken, ...shown } = config;
    process.stdout.write(
      `${JSON.stringify({ ...shown, enrollmentToken: enrollmentToken ? "(set)" : "(unset)" }, null, 2)}\n`,
    );
    return;
  }

  const worker = argv.indexOf("stage-worker");
  if (worker >= 0) {
    const commandId = argv[worker + 1] ?? "";
    if (!/^[\w-]{8,64}$/.test(commandId)) throw new ConfigError("command line", ["stage-worker: needs a command id"]);
    const result = await runStageWorker(config, commandId);
    process.exitCode = result.outcome === "staged" ? 0 : 1;
    return;
  }

  if (argv.includes("--rotate-credential")) {
    const { nodeId } = await rotateCredential({
      controlUrl: config.controlUrl,
      trust: {
        caFile: config.caFile,
        pinnedFingerprint: config.pinnedFingerprint,
        allowInsecure: config.allowInsecure,
      },
      stateDir: config.stateDir,
      machineId: readMachineId(realHost),
      hostname: readHostname(realHost),
    });
    process.stdout.write(`node ${nodeId}: credential replaced; the old one is refused from now on\n`);
    return;
  }

  let agent: RunningAgent | null = null;
  let stopping = false;
  const exit = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await agent?.stop().catch(() => {});
    process.exit(code);
  };
  // dbus-next rejects a failed bus handshake where nothing can catch it.
  process.on("unhandledRejection", (reason) => {
    log.error("unexpected failure", { error: errorText(reason) });
    void exit(1);
  });

  log.info("starting", { version: AGENT_VERSION, controlUrl: config.controlUrl, units: config.watchUnits.length });
  agent = await startAgent({ config, onFatal: () => void exit(1) });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      log.info("stopping", { signal });
      void exit(0);
    });
  }
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof ConfigError) {
    log.error(error.message);
    process.exit(78); // EX_CONFIG: systemd shows it; restarting will not help until the file is fixed
  }
  if (error instanceof EnrollmentError) {
    log.error(error.message, {
      hint: error.retryable
        ? "the control plane did not answer: run it again (if it replaced the credential meanwhile, an admin must allow re-enrollment)"
        : "nothing was changed",
    });
    process.exit(1);
  }
  log.error("cannot start", { error: errorText(error) });
  process.exit(1);
});
