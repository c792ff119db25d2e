import { existsSync, readFileSync, rmdirSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { LabError } from "./errors";
import { removeTree, unmountAll } from "./fsops";
import { builtImage } from "./image";
import { describeNode, execIn, type LabNode, waitUntilRunning } from "./inside";
import { cachePaths, DEFAULT_CONTROL_URL, IN_NODE, nodeName, nodePaths, nodePorts } from "./layout";
import { ensureLabNetwork, LAB_NETWORK, nodeAddress } from "./network";
import { writeConfigLayer } from "./node-config";
import { isOurNspawn, type NspawnBind, startNspawn, stopNspawn, waitForLeader } from "./nspawn";
import { ensurePortableImage } from "./portable";
import { assertPrerequisites } from "./prereq";
import { type Progress, progress } from "./progress";
import { runChecked, sleep } from "./run";
import { type LabState, type NodeRecord, readState, withStateLock, writeState } from "./state";

export interface UpOptions {
  /** How many nodes: sf-lab-<firstIndex> … sf-lab-<firstIndex + nodes - 1>. */
  nodes: number;
  /** Default 1. Tests use a range of their own so they leave a developer's nodes alone. */
  firstIndex?: number;
  controlUrl?: string;
  token?: string;
  /** The CA (PEM file on the host) that signed control's https certificate: the agents trust it. */
  caFile?: string;
  /** How long each node may take to reach running. */
  bootTimeoutMs?: number;
}

/** Boots the nodes (in parallel) and waits until each runs; nodes already running are left as they are. */
export async function up(options: UpOptions): Promise<LabNode[]> {
  assertPrerequisites();
  const { nodes: count, firstIndex = 1, controlUrl = DEFAULT_CONTROL_URL, token, caFile } = options;
  checkUpOptions(count, firstIndex, controlUrl, token);
  const image = await builtImage();
  const p = progress("lab up");
  await ensureLabNetwork();
  return withStateLock(async () => {
    // Under the lock: two `up` at once must not both make it.
    const portableImage = await ensurePortableImage(image.base.dir, image.base.builtAt);
    const state = await readState();
    const save = serialSaver(state);
    const indexes = Array.from({ length: count }, (_, i) => firstIndex + i);
    const outcomes = await Promise.allSettled(
      indexes.map(async (index) => {
        const name = nodeName(index);
        const existing = state.nodes[name];
        if (existing && isOurNspawn(existing.nspawnPid, existing.nspawnStartTime, name)) {
          p.say(`${name}: already running (systemd-nspawn pid ${existing.nspawnPid}); left as it is`);
          return name;
        }
        if (existing) {
          p.say(`${name}: cleaning up after an earlier run that stopped`);
          await removeNode(existing, p);
          delete state.nodes[name];
        }
        const spec = { index, name, controlUrl, token, caFile, softfleetLayer: image.softfleet.dir, portableImage };
        await bootNode(state, save, spec, p);
        const systemState = await waitUntilRunning(name, options.bootTimeoutMs);
        const record = state.nodes[name]!;
        if (systemState === "degraded") {
          const failed = await execIn(name, ["systemctl", "list-units", "--failed", "--plain", "--no-legend"]);
          p.say(`${name}: warning: booted with failed units: ${failed.stdout.trim().replace(/\s*\n\s*/g, "; ")}`);
        }
        const node = describeNode(record);
        await waitForDemoServices(name, [node.urls.survivor, node.urls.ordinary]);
        p.say(
          `${name}: ${systemState} at ${node.address} (systemd pid ${record.leaderPid}; survivor ${node.urls.survivor}, ` +
            `ordinary ${node.urls.ordinary})`,
        );
        return name;
      }),
    );
    // Every node has settled (and is in the state file) before the first failure is reported.
    const failure = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure) throw failure.reason;
    return indexes.map((index) => describeNode(state.nodes[nodeName(index)]!));
  });
}

/** Saves of the whole state, one after the other, so the last one written is the newest. */
function serialSaver(state: LabState): () => Promise<void> {
  let chain = Promise.resolve();
  return () => {
    chain = chain.then(() => writeState(state));
    return chain;
  };
}

interface NodeSpec {
  index: number;
  name: string;
  controlUrl: string;
  token?: string;
  caFile?: string;
  softfleetLayer: string;
  /** The portable service's image directory (portable.ts). */
  portableImage: string;
}

async function bootNode(state: LabState, save: () => Promise<void>, spec: NodeSpec, p: Progress) {
  const paths = nodePaths(spec.name);
  const ports = nodePorts(spec.index);
  const record: NodeRecord = {
    name: spec.name,
    index: spec.index,
    nspawnPid: null,
    nspawnStartTime: null,
    leaderPid: null,
    ports,
    softfleetLayer: spec.softfleetLayer,
    controlUrl: spec.controlUrl,
    startedAt: new Date().toISOString(),
  };
  // Recorded before anything is mounted or started, so `down` can clean up whatever happens next.
  state.nodes[spec.name] = record;
  await save();
  // Leftovers of a run that crashed before recording the node: start from empty directories.
  await unmountAll(paths.node);
  if (existsSync(paths.node)) await removeTree(paths.node);
  for (const dir of [
    paths.root,
    paths.upper,
    paths.work,
    paths.config,
    paths.stage,
    paths.agentState,
    paths.containers,
    paths.images,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  await writeConfigLayer(paths.config, {
    name: spec.name,
    controlUrl: spec.controlUrl,
    token: spec.token,
    caPem: spec.caFile ? await readFile(spec.caFile, "utf8") : undefined,
    ports,
    address: nodeAddress(spec.index),
    softfleetLayerName: basename(spec.softfleetLayer),
    portableImageName: basename(spec.portableImage),
  });
  const { base } = cachePaths();
  await runChecked("mount", [
    "-t",
    "overlay",
    `softfleet-lab-${spec.name}`,
    "-o",
    `lowerdir=${paths.config}:${spec.softfleetLayer}:${base},upperdir=${paths.upper},workdir=${paths.work}`,
    paths.root,
  ]);
  const binds: NspawnBind[] = [
    { host: cachePaths().layers, node: IN_NODE.layers, readOnly: true },
    { host: paths.config, node: IN_NODE.config, readOnly: true },
    { host: paths.stage, node: IN_NODE.stage },
    { host: paths.agentState, node: IN_NODE.agentState },
    { host: paths.containers, node: IN_NODE.containers },
    { host: paths.images, node: IN_NODE.images },
  ];
  const nspawn = startNspawn({
    name: spec.name,
    root: paths.root,
    binds,
    consoleLog: paths.consoleLog,
    networkBridge: LAB_NETWORK.bridge,
  });
  record.nspawnPid = nspawn.pid;
  record.nspawnStartTime = nspawn.startTime;
  await save();
  try {
    record.leaderPid = await waitForLeader(spec.name, nspawn.pid, 15_000);
  } catch (error) {
    throw withConsoleTail(error, paths.consoleLog);
  }
  await save();
  p.say(`${spec.name}: booting (systemd-nspawn pid ${nspawn.pid}, its systemd is pid ${record.leaderPid} on the host)`);
}

export interface DownOptions {
  /** Only these nodes; default every node the lab started. */
  nodes?: string[];
}

/** Halts the lab's nodes cleanly, unmounts their roots and removes their directories. Idempotent. */
export async function down(options: DownOptions = {}): Promise<string[]> {
  const p = progress("lab down");
  return withStateLock(async () => {
    const state = await readState();
    const save = serialSaver(state);
    const names = options.nodes ?? Object.keys(state.nodes);
    if (names.length === 0) p.say("no lab nodes to stop");
    await Promise.all(
      names.map(async (name) => {
        const record = state.nodes[name];
        if (!record) return p.say(`${name}: not a lab node (nothing to do)`);
        await removeNode(record, p);
        delete state.nodes[name];
        await save();
      }),
    );
    return names;
  });
}

async function removeNode(record: NodeRecord, p: Progress) {
  const { name, nspawnPid, nspawnStartTime } = record;
  const paths = nodePaths(name);
  if (nspawnPid !== null && isOurNspawn(nspawnPid, nspawnStartTime, name)) {
    p.say(`${name}: halting (SIGTERM to systemd-nspawn pid ${nspawnPid})`);
    const outcome = await stopNspawn(nspawnPid, () => isOurNspawn(nspawnPid, nspawnStartTime, name));
    p.say(`${name}: ${outcome}`);
  }
  await unmountAll(paths.node);
  if (existsSync(paths.node)) await removeTree(paths.node);
  // systemd-nspawn leaves its (empty) propagation directory when the host's /run is not a tmpfs.
  try {
    rmdirSync(`/run/systemd/nspawn/propagate/${name}`);
  } catch {}
  p.say(`${name}: removed`);
}

function checkUpOptions(count: number, firstIndex: number, controlUrl: string, token: string | undefined) {
  if (!Number.isInteger(count) || count < 1 || count > 50) {
    throw new LabError("bad-input", `--nodes ${count}: give a whole number from 1 to 50`);
  }
  if (!Number.isInteger(firstIndex) || firstIndex < 1 || firstIndex + count - 1 > 999) {
    throw new LabError(
      "bad-input",
      `first index ${firstIndex}: nodes are numbered 1 to 999 (their ports derive from it)`,
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(controlUrl);
  } catch {}
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new LabError("bad-input", `--control-url ${controlUrl}: give an http(s) URL, e.g. ${DEFAULT_CONTROL_URL}`);
  }
  if (token !== undefined && token.trim().length < 10) {
    throw new LabError("bad-input", "--token: an enrollment token has at least 10 characters");
  }
}

/** systemd calls a simple service active when it has started it; the demo is ready when it answers. */
async function waitForDemoServices(name: string, urls: string[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) break;
      } catch {}
      if (Date.now() > deadline) {
        throw new LabError(
          "node-failed",
          `${name}: its demo service at ${url} did not answer within ${timeoutMs / 1000} s`,
          `look inside: npm run lab -- exec ${name} -- systemctl status 'softfleet-demo-*'`,
        );
      }
      await sleep(100);
    }
  }
}

function withConsoleTail(error: unknown, consoleLog: string): unknown {
  if (!(error instanceof LabError)) return error;
  let tail = "";
  try {
    tail = readFileSync(consoleLog, "utf8").trim().split("\n").slice(-10).join("\n");
  } catch {}
  return new LabError(error.code, `${error.message}; its console said:\n${tail}`, `full console: ${consoleLog}`);
}
