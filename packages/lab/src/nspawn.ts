import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { LabError } from "./errors";
import { childPids, commandLine, commandName, isAlive, pidNamespace, procStat } from "./proc";
import { hostEnv, type RunResult, run, SYSTEM_PATH, sleep } from "./run";

/** systemd-nspawn processes and nsenter into them, as soft-reboot.md's recipe does. */

export interface NspawnBind {
  host: string;
  node: string;
  readOnly?: boolean;
}

export interface NspawnSpec {
  name: string;
  root: string;
  binds: NspawnBind[];
  consoleLog: string;
  /** A host bridge for the node's private network (its end is host0); without it the node shares the host's. */
  networkBridge?: string;
}

export function nspawnArgs(spec: NspawnSpec): string[] {
  return [
    "-D",
    spec.root,
    "--register=no",
    "--keep-unit",
    "--boot",
    "--console=pipe",
    "-M",
    spec.name,
    ...spec.binds.map((bind) => `--bind${bind.readOnly ? "-ro" : ""}=${bind.host}:${bind.node}`),
    ...(spec.networkBridge ? [`--network-bridge=${spec.networkBridge}`] : []),
  ];
}

/** Starts the node detached (it outlives the lab command); its console goes to consoleLog. */
export function startNspawn(spec: NspawnSpec): { pid: number; startTime: string } {
  const log = openSync(spec.consoleLog, "a");
  try {
    const child = spawn("systemd-nspawn", nspawnArgs(spec), {
      detached: true,
      stdio: ["ignore", log, log],
      // The host's cgroups are hybrid: this gives the node the pure cgroup2 view systemd 257 needs.
      env: hostEnv({ SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" }),
    });
    child.on("error", () => {});
    child.unref();
    const pid = child.pid;
    const startTime = pid ? procStat(pid)?.startTime : undefined;
    if (!pid || !startTime) throw new LabError("node-failed", `${spec.name}: systemd-nspawn did not start`);
    return { pid, startTime };
  } finally {
    closeSync(log);
  }
}

/** True when pid is still the systemd-nspawn the lab started for this node (not a reused pid). */
export function isOurNspawn(pid: number | null, startTime: string | null, name: string): boolean {
  if (pid === null || !isAlive(pid) || procStat(pid)?.startTime !== startTime) return false;
  const argv = commandLine(pid);
  return argv.some((arg) => arg.endsWith("systemd-nspawn")) && argv.includes(name);
}

/**
 * The node's PID 1 as the host sees it: the child of systemd-nspawn running
 * systemd in a PID namespace of its own. It keeps its pid through soft-reboots
 * (PID 1 re-executes), so it is looked up afresh rather than trusted from state.
 */
export function findLeader(nspawnPid: number): number | undefined {
  const ownNamespace = pidNamespace("self");
  return childPids(nspawnPid).find(
    (pid) => commandName(pid) === "systemd" && pidNamespace(pid) !== ownNamespace && isAlive(pid),
  );
}

export async function waitForLeader(name: string, nspawnPid: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = findLeader(nspawnPid);
    if (leader) return leader;
    if (!isAlive(nspawnPid)) throw new LabError("node-failed", `${name}: systemd-nspawn exited before systemd started`);
    if (Date.now() > deadline)
      throw new LabError("node-failed", `${name}: systemd did not start within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * SIGTERM makes systemd-nspawn halt the node cleanly; a second SIGTERM ends it
 * at once, SIGKILL last. isStillOurs guards every signal against pid reuse.
 */
export async function stopNspawn(pid: number, isStillOurs: () => boolean, haltTimeoutMs = 30_000) {
  const steps: Array<{ signal: NodeJS.Signals; waitMs: number; outcome: string }> = [
    { signal: "SIGTERM", waitMs: haltTimeoutMs, outcome: "halted" },
    { signal: "SIGTERM", waitMs: 5_000, outcome: "terminated (did not halt in time)" },
    { signal: "SIGKILL", waitMs: 5_000, outcome: "killed (did not halt in time)" },
  ];
  for (const { signal, waitMs, outcome } of steps) {
    if (!isStillOurs()) return "already stopped";
    try {
      process.kill(pid, signal);
    } catch {
      // It ended between the check and the signal.
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && isStillOurs()) await sleep(100);
    if (!isStillOurs()) return outcome;
  }
  throw new LabError("node-failed", `systemd-nspawn ${pid} is still running after SIGKILL`);
}

/** Environment for commands run inside a node: the node's own tools, no pager, no colour codes. */
const QUERY_ENV = { PATH: SYSTEM_PATH, LANG: "C.UTF-8", SYSTEMD_PAGER: "cat", SYSTEMD_COLORS: "0" };

/**
 * Runs argv inside the node in all of its namespaces (nsenter -t <node's PID 1> -a).
 * The time limit is enforced inside the node too (coreutils timeout; exit 124),
 * so a call that hangs, such as systemctl caught by a soft-reboot between
 * connecting and getting an answer, does not linger there.
 */
export function nsenter(leaderPid: number, argv: string[], timeoutMs = 30_000): Promise<RunResult> {
  const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  return run("nsenter", ["-t", String(leaderPid), "-a", "--", "timeout", "-k", "1", seconds, ...argv], {
    env: { ...QUERY_ENV, HOME: "/root" },
    timeoutMs: timeoutMs + 3_000,
  });
}

/** For interactive use (`lab exec`): the caller's terminal, the node's tools. */
export function nsenterInteractive(leaderPid: number, argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", ["-t", String(leaderPid), "-a", "--", ...argv], {
      stdio: "inherit",
      env: { PATH: SYSTEM_PATH, LANG: "C.UTF-8", HOME: "/root", TERM: process.env.TERM ?? "dumb" },
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
