import { LabError } from "./errors";
import { nodeAddress } from "./network";
import { findLeader, isOurNspawn, nsenter } from "./nspawn";
import type { RunResult } from "./run";
import { sleep } from "./run";
import { type NodeRecord, readState } from "./state";

/** Finding running lab nodes and running commands inside them. */

export interface LabNode {
  name: string;
  running: boolean;
  nspawnPid: number | null;
  /** The node's systemd as seen from the host (the pid for nsenter -t); null when not running. */
  leaderPid: number | null;
  ports: NodeRecord["ports"];
  /** Its address on the lab's private network (LAB_NETWORK), where the host reaches its services. */
  address: string;
  /** The demo services as the host reaches them. */
  urls: { survivor: string; ordinary: string };
}

export function describeNode(record: NodeRecord): LabNode {
  const running = isOurNspawn(record.nspawnPid, record.nspawnStartTime, record.name);
  const leaderPid = running && record.nspawnPid ? (findLeader(record.nspawnPid) ?? null) : null;
  const address = nodeAddress(record.index);
  return {
    name: record.name,
    running: running && leaderPid !== null,
    nspawnPid: running ? record.nspawnPid : null,
    leaderPid,
    ports: record.ports,
    address,
    urls: {
      survivor: `http://${address}:${record.ports.survivor}/`,
      ordinary: `http://${address}:${record.ports.ordinary}/`,
    },
  };
}

/** Every node in the lab's state, running or not, in index order. */
export async function listNodes(): Promise<LabNode[]> {
  const records = Object.values((await readState()).nodes).sort((a, b) => a.index - b.index);
  return records.map(describeNode);
}

/** A running node by name, with its leader pid looked up now (robust to soft-reboots and restarts). */
export async function runningNode(name: string): Promise<LabNode & { leaderPid: number }> {
  const record = (await readState()).nodes[name];
  if (!record) {
    throw new LabError("unknown-node", `no lab node named ${name}`, "see `npm run lab -- status` for the lab's nodes");
  }
  const node = describeNode(record);
  if (!node.running || node.leaderPid === null) {
    throw new LabError("node-not-running", `${name} is not running`, "start it with `npm run lab -- up`");
  }
  return { ...node, leaderPid: node.leaderPid };
}

/** Runs argv inside the node (all of its namespaces) and returns its output and exit status. */
export async function execIn(name: string, argv: string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  if (argv.length === 0) throw new LabError("bad-input", "no command given to run inside the node");
  const node = await runningNode(name);
  return nsenter(node.leaderPid, argv, options.timeoutMs);
}

/**
 * systemd's own Manager properties of type t or u (SoftRebootsCount, the
 * *TimestampMonotonic values), read inside the node with busctl: for tests
 * that check the agent's report against systemd itself.
 */
export async function managerProperties(name: string, properties: string[]): Promise<bigint[]> {
  // During a soft-reboot the bus restarts: a call on the old one would wait out D-Bus's 25 s default.
  const result = await execIn(
    name,
    [
      "busctl",
      "--timeout=2",
      "get-property",
      "org.freedesktop.systemd1",
      "/org/freedesktop/systemd1",
      "org.freedesktop.systemd1.Manager",
      ...properties,
    ],
    { timeoutMs: 5_000 },
  );
  if (result.exitCode !== 0) throw new LabError("node-failed", `${name}: busctl failed: ${result.stderr.trim()}`);
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const match = /^[tu] (\d+)$/.exec(line.trim());
      if (!match) throw new LabError("node-failed", `${name}: unexpected busctl output: ${line}`);
      return BigInt(match[1]!);
    });
}

export type SystemState = "running" | "degraded";

/**
 * Waits until the node's systemd reports running (or degraded: booted, with a
 * failed unit). Polls is-system-running: right after a start or a soft-reboot
 * the bus is not up yet and the call fails, which counts as "not yet".
 */
export async function waitUntilRunning(name: string, timeoutMs = 60_000): Promise<SystemState> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const node = await runningNode(name);
    const result = await nsenter(node.leaderPid, ["systemctl", "is-system-running"], 3_000);
    last = (result.stdout.trim() || result.stderr.trim()).split("\n")[0] ?? "";
    if (last === "running" || last === "degraded") return last;
    if (Date.now() > deadline) {
      throw new LabError(
        "node-failed",
        `${name} did not reach running within ${timeoutMs / 1000} s (last: ${last || "no answer"})`,
        `look inside: npm run lab -- exec ${name} -- systemctl list-jobs`,
      );
    }
    await sleep(200);
  }
}
