import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LogLevel, Spool, setLogLevel } from "@softfleet/agent";
import { labels as labelsSchema } from "@softfleet/protocol";
import { SimulationError } from "./errors";
import { assignFault, FAULTS, type Fault, type FaultRate, faultRateProblem } from "./faults";
import { SimulatedHost } from "./host";
import { SimulatedNode } from "./node";
import { type Seed, seededRandom } from "./random";

export interface SimulatedFleetOptions {
  /** The control plane, e.g. http://127.0.0.1:4000 (enrollment and the agent WebSocket beside it). */
  controlUrl: string;
  enrollmentToken: string;
  count: number;
  /** Fixes machine ids, boot ids, zones, clocks, reboot timings and the faults drawn from faultRate. */
  seed: Seed;
  /** Hostnames are `${namePrefix}-0001`, numbered from firstIndex. */
  namePrefix?: string;
  firstIndex?: number;
  /** IMAGE_VERSION the nodes run at the start. */
  imageVersion?: string;
  /** Multiplies every simulated duration (0.05: twenty times faster). The clock itself runs with real time. */
  timeScale?: number;
  /** Faults by hostname; they win over faultRate. */
  faults?: Record<string, Fault>;
  faultRate?: FaultRate;
  /** Merged over each node's { sim: "true", zone }. */
  labels?: Record<string, string>;
  /** Where each node keeps its credential and spool (a folder per hostname). Default: a temporary folder, removed on stop. */
  spoolRoot?: string;
  /** The agent's bounded wait for an ack while a shutdown waits on it (the real agent's default). */
  ackTimeoutMs?: number;
  /** How long to wait for every node's first connection. */
  connectTimeoutMs?: number;
  /** The agent code logs process-wide; hundreds of agents at "info" say too much. */
  agentLogLevel?: LogLevel;
  onProgress?: (progress: FleetProgress) => void;
}

export interface FleetProgress {
  count: number;
  enrolled: number;
  connected: number;
}

export interface SimulatedFleet {
  readonly nodes: readonly SimulatedNode[];
  node(hostname: string): SimulatedNode;
  progress(): FleetProgress;
  /** Stages IMAGE_VERSION=version at /run/nextroot on the given nodes (default: all). */
  stage(version: string, which?: readonly (SimulatedNode | string)[]): void;
  setFault(hostname: string, fault: Fault | null): void;
  /** The agent process goes down or up; the node keeps running. */
  stopAgent(hostname: string): void;
  startAgent(hostname: string): void;
  /** Closes every connection and timer; removes the temporary spool root. */
  stop(): Promise<void>;
}

const ZONES = ["zone-a", "zone-b", "zone-c"] as const;
const ENROLL_CONCURRENCY = 16;

export function hostnameOf(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(4, "0")}`;
}

/** Starts `count` simulated nodes; resolves once every one is enrolled and connected. */
export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const settings = validate(options);
  setLogLevel(options.agentLogLevel ?? "warn");
  const ownRoot = options.spoolRoot === undefined;
  const root = options.spoolRoot ?? mkdtempSync(join(tmpdir(), "softfleet-sim-"));
  let waiting: (() => void) | null = null;
  const onChange = () => {
    options.onProgress?.(fleet.progress());
    waiting?.();
  };
  const nodes = Array.from({ length: options.count }, (_, offset) => {
    const index = settings.firstIndex + offset;
    const hostname = hostnameOf(settings.namePrefix, index);
    const stateDir = join(root, hostname);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const zone = ZONES[Math.floor(seededRandom(options.seed, "zone", index)() * ZONES.length)]!;
    const fault =
      options.faults?.[hostname] ?? (options.faultRate ? assignFault(options.seed, index, options.faultRate) : null);
    return new SimulatedNode(new SimulatedHost(options.seed, index, hostname, settings.imageVersion), fault, {
      seed: options.seed,
      labels: { sim: "true", zone, ...options.labels },
      controlUrl: options.controlUrl,
      enrollmentToken: options.enrollmentToken,
      stateDir,
      spool: new Spool(join(stateDir, "spool")),
      timeScale: settings.timeScale,
      ackTimeoutMs: settings.ackTimeoutMs,
      onChange,
    });
  });
  const byHostname = new Map(nodes.map((node) => [node.hostname, node]));
  const node = (hostname: string) => {
    const found = byHostname.get(hostname);
    if (!found) throw new SimulationError("unknown-node", `no simulated node is called ${hostname}`);
    return found;
  };

  const fleet: SimulatedFleet = {
    nodes,
    node,
    progress: () => ({
      count: nodes.length,
      enrolled: nodes.filter((n) => n.nodeId !== null).length,
      connected: nodes.filter((n) => n.agentConnected).length,
    }),
    stage(version, which) {
      const chosen = which ? which.map((n) => (typeof n === "string" ? node(n) : n)) : nodes;
      const notUp = chosen.filter((n) => n.status !== "up");
      if (notUp.length) {
        const names = notUp.map((n) => `${n.hostname} (${n.status})`).join(", ");
        throw new SimulationError("not-up", `cannot stage on nodes that are not up: ${names}`);
      }
      for (const n of chosen) n.stage(version);
    },
    setFault: (hostname, fault) => node(hostname).setFault(fault),
    stopAgent: (hostname) => node(hostname).stopAgent(),
    startAgent: (hostname) => node(hostname).startAgent(),
    async stop() {
      waiting?.();
      for (const n of nodes) n.stop();
      // Let the close frames go out before the folders they spool to are removed.
      await new Promise((resolve) => setImmediate(resolve));
      if (ownRoot) rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await inBatches(nodes, ENROLL_CONCURRENCY, (n) => n.enroll());
    for (const n of nodes) n.startAgent();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = nodes.filter((n) => !n.connectedOnce).map((n) => n.hostname);
        const listed = missing.slice(0, 10).join(", ") + (missing.length > 10 ? ", ..." : "");
        reject(
          new SimulationError(
            "timeout",
            `${missing.length} of ${nodes.length} nodes did not connect within ${settings.connectTimeoutMs} ms: ${listed}`,
          ),
        );
      }, settings.connectTimeoutMs);
      waiting = () => {
        if (!nodes.every((n) => n.connectedOnce)) return;
        clearTimeout(timer);
        waiting = null;
        resolve();
      };
      waiting();
    });
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}

/** Runs `work` over the items with at most `concurrency` at once; the first failure rejects. */
async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function validate(options: SimulatedFleetOptions) {
  const problem = (message: string) => new SimulationError("bad-input", message);
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw problem("count must be an integer in 1..10000");
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0 && timeScale <= 100)) throw problem("timeScale must be more than 0 and at most 100");
  const firstIndex = options.firstIndex ?? 1;
  if (!Number.isInteger(firstIndex) || firstIndex < 0) throw problem("firstIndex must be a non-negative integer");
  const namePrefix = options.namePrefix ?? "sim";
  if (!/^[a-z0-9][a-z0-9-]{0,200}$/.test(namePrefix))
    throw problem("namePrefix must be lowercase letters, digits, '-'");
  const rateProblem = options.faultRate ? faultRateProblem(options.faultRate) : null;
  if (rateProblem) throw problem(rateProblem);
  const hostnames = new Set(Array.from({ length: count }, (_, i) => hostnameOf(namePrefix, firstIndex + i)));
  for (const [hostname, fault] of Object.entries(options.faults ?? {})) {
    if (!hostnames.has(hostname)) throw problem(`faults.${hostname}: no node of this fleet is called so`);
    if (!FAULTS.includes(fault)) throw problem(`faults.${hostname}: ${fault} is not one of ${FAULTS.join(", ")}`);
  }
  const labels = labelsSchema.safeParse({ sim: "true", zone: ZONES[0], ...options.labels });
  if (!labels.success) throw problem(`labels: ${labels.error.issues.map((i) => i.message).join("; ")}`);
  return {
    timeScale,
    firstIndex,
    namePrefix,
    imageVersion: options.imageVersion ?? "1",
    ackTimeoutMs: options.ackTimeoutMs ?? 1000,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000 + 50 * count,
  };
}
