import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { createPrismaClient, type Db } from "@softfleet/db";
import { createEnrollmentToken, createRollout, downtimeMs } from "@softfleet/fleet";
import { startLabFleet } from "@softfleet/launcher/lab";
import { startScratchStack } from "./scratch-stack";
import { tail } from "./stats";

const STEP_LINE =
  /rollout engine: step of \S+ took ([\d.]+) ms: \d+ actions \(([^)]*)\).*load ([\d.]+) ms, decide ([\d.]+) ms, write ([\d.]+) ms/;

export interface EngineStep {
  ms: number;
  kinds: string[];
  loadMs: number;
  decideMs: number;
  writeMs: number;
}

/** An engine step as control logs it with SOFTFLEET_ENGINE_TIMINGS=1, or null for any other line. */
export function parseStepLine(line: string): EngineStep | null {
  const match = STEP_LINE.exec(line);
  if (!match) return null;
  return {
    ms: Number(match[1]),
    kinds: match[2]!.split(", "),
    loadMs: Number(match[3]),
    decideMs: Number(match[4]),
    writeMs: Number(match[5]),
  };
}

/** A rollout of every node in batches of `batch`, to `targetImageVersion`; its failure threshold 5%. */
export function batchesPlan(batch: number, targetImageVersion: string | null) {
  return {
    canary: null,
    batch: { size: batch },
    maxUnavailable: batch,
    settleSec: 0,
    targetImageVersion,
    gate: { returnTimeoutSec: 120 },
    failureThreshold: { percent: 5 },
  };
}

/** A stack whose control process logs each engine step with its duration. */
async function benchStack(prefix: string, options: { lab?: boolean } = {}) {
  const steps: EngineStep[] = [];
  const scratch = await startScratchStack(prefix, {
    lab: options.lab,
    env: { SOFTFLEET_ENGINE_TIMINGS: "1" },
    log: (source, line) => {
      const step = source === "control" ? parseStepLine(line) : null;
      if (step) steps.push(step);
      else if (source === "control" && !line.includes("listening on")) console.error(`[control] ${line}`);
    },
  });
  const { stack } = scratch;
  const db = createPrismaClient(stack.database.url);
  const user = await db.user.create({
    data: { username: "bench", displayName: "Bench", passwordHash: "-", role: "operator" },
  });
  return {
    stack,
    caFile: scratch.caFile,
    db,
    steps,
    user: { id: user.id, name: user.username },
    async stop() {
      await db.$disconnect();
      await scratch.stop();
    },
  };
}

async function groupOfAll(db: Db) {
  const nodes = await db.node.findMany({ select: { id: true } });
  return db.nodeGroup.create({ data: { name: "all", members: { create: nodes.map((n) => ({ nodeId: n.id })) } } });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const finished = (db: Db, id: string, timeoutMs: number) =>
  until(
    "the rollout to finish",
    async () => {
      const rollout = await db.rollout.findUniqueOrThrow({ where: { id } });
      if (rollout.finishedAt && rollout.status !== "completed") {
        throw new Error(`the rollout ended ${rollout.status}: ${rollout.statusReason}`);
      }
      return rollout.finishedAt ? rollout : null;
    },
    timeoutMs,
  );

const loadAverage = () => Math.round(loadavg()[0]! * 100) / 100;
const round = (value: number) => Math.round(value * 10) / 10;

/**
 * On 1,000 simulated nodes in batches of 100: the engine's time for each
 * batch transition (the step that finishes a batch, starts the next and
 * commands its 100 reboots, in one transaction), as the control process logs it;
 * over `rounds` rollouts of the whole fleet.
 */
export async function benchRolloutEngine(count = 1000, batchSize = 100, rounds = 3) {
  const bench = await benchStack("softfleet-bench-engine-");
  let fleet: ChildProcess | undefined;
  try {
    const { token } = await bench.db.$transaction((tx) =>
      createEnrollmentToken(tx, { label: "bench", ttlHours: 1, maxUses: null, createdById: null }),
    );
    // The simulated agents stand for other machines: their own process, niced, so that their
    // CPU on this machine's two cores does not come before the control plane's and the database's.
    const started = Date.now();
    fleet = spawn(
      "nice",
      [
        "-n",
        "15",
        process.execPath,
        simulatorBin(),
        ...["--control-url", bench.stack.control.url, "--token", token, "--count", String(count)],
        ...["--seed", "1000", "--time-scale", "1", "--stage", "2"],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let simulatorOutput = "";
    fleet.stderr?.on("data", (chunk: Buffer) => {
      simulatorOutput = (simulatorOutput + chunk.toString()).slice(-2000);
    });
    await until(
      "every simulated node online with version 2 staged",
      async () => {
        if (fleet?.exitCode !== null) throw new Error(`the simulator exited: ${simulatorOutput}`);
        return (await bench.db.node.count({ where: { nextrootStaged: true, status: "online" } })) === count;
      },
      300_000,
    );
    const fleetReadyMs = Date.now() - started;
    const group = await groupOfAll(bench.db);
    const loadBefore = loadAverage();
    // The first rollout takes the fleet to version 2; the next ones restart it on the same image
    // (no target version), so that the p99 comes from more than ten transitions.
    const rolloutMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const plan = {
        canary: null,
        batch: { size: batchSize },
        maxUnavailable: batchSize,
        settleSec: 0,
        targetImageVersion: round === 0 ? "2" : null,
        gate: { returnTimeoutSec: 60 },
        failureThreshold: { percent: 5 },
      };
      const { rollout } = await bench.db.$transaction(
        (tx) => createRollout(tx, { groupId: group.id, plan, user: bench.user }),
        { timeout: 60_000 },
      );
      const done = await finished(bench.db, rollout.id, 600_000);
      rolloutMs.push(done.finishedAt!.getTime() - done.createdAt.getTime());
    }
    const batchSteps = bench.steps.filter((s) => s.kinds.includes("start-batch"));
    const transitions = batchSteps.map((s) => s.ms);
    return {
      name: `rollout engine: ${count} simulated nodes in batches of ${batchSize}, ${rounds} rollouts`,
      simulatedFleetReadyMs: fleetReadyMs,
      rolloutMs,
      /** The machine's 1-minute load average before and after: above 2 (two cores), other work competed. */
      loadAverage: { before: loadBefore, after: loadAverage() },
      batchTransitionMs: {
        ...tail(transitions),
        goalP99: 50,
        /** Every transition in order, with its load / decide / write parts. */
        each: batchSteps.map((s) => `${round(s.ms)} (${round(s.loadMs)}/${round(s.decideMs)}/${round(s.writeMs)})`),
        parts: {
          loadMs: tail(batchSteps.map((s) => s.loadMs)),
          decideMs: tail(batchSteps.map((s) => s.decideMs)),
          writeMs: tail(batchSteps.map((s) => s.writeMs)),
        },
      },
      everyStepMs: tail(bench.steps.map((s) => s.ms)),
    };
  } finally {
    if (fleet && fleet.exitCode === null) {
      const exited = new Promise((resolve) => fleet?.once("exit", resolve));
      fleet.kill("SIGINT");
      await exited;
    }
    await bench.stop();
  }
}

function simulatorBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@softfleet/simagent")), "../bin/softfleet-sim.mjs");
}

/**
 * On 4 real lab nodes with version 2 staged: a rollout (canary 1, batches of
 * 2, settle 5 s) timed from its creation to its end, against the ideal: for
 * each batch the slowest node's own soft-reboot (logind's signal to its agent
 * connected again, from its reboot record) plus the plan's settle delays.
 */
export async function benchRolloutLab(nodeCount = 4) {
  const bench = await benchStack("softfleet-bench-rollout-lab-", { lab: true });
  let lab: Awaited<ReturnType<typeof startLabFleet>> | undefined;
  try {
    lab = await startLabFleet({
      databaseUrl: bench.stack.database.url,
      controlUrl: bench.stack.control.url,
      caFile: bench.caFile,
      nodes: nodeCount,
      firstIndex: 35,
      label: "benchmark",
    });
    const { stage } = await import("@softfleet/lab");
    await stage({ version: "2", nodes: lab.nodes.map((n) => n.name) });
    await until(
      "the lab nodes online with version 2 staged",
      async () => (await bench.db.node.count({ where: { status: "online", nextrootImageVersion: "2" } })) === nodeCount,
      120_000,
    );
    const group = await groupOfAll(bench.db);
    const plan = {
      canary: { count: 1 },
      batch: { size: 2 },
      maxUnavailable: 2,
      settleSec: 5,
      targetImageVersion: "2",
    };
    const { rollout } = await bench.db.$transaction((tx) =>
      createRollout(tx, { groupId: group.id, plan, user: bench.user }),
    );
    const done = await finished(bench.db, rollout.id, 300_000);
    const nodes = await bench.db.rolloutNode.findMany({ where: { rolloutId: rollout.id } });
    const records = await bench.db.rebootRecord.findMany({
      where: { commandId: { in: nodes.map((n) => n.commandId).filter((c): c is string => c !== null) } },
    });
    const own = new Map(records.map((r) => [r.commandId, downtimeMs(r)]));
    // systemd's own span of each soft-reboot: ShutdownStart to Finish, the physical limit of any agent.
    const systemd = new Map(
      records.map((r) => [
        r.commandId,
        r.shutdownStartUsec !== null && r.finishUsec !== null
          ? Number(r.finishUsec - r.shutdownStartUsec) / 1000
          : Number.NaN,
      ]),
    );
    const batches = [...new Set(nodes.map((n) => n.batchIndex))].sort((a, b) => a - b);
    const slowestOf = (span: Map<string | null, number | null>) =>
      batches.map((index) =>
        Math.max(...nodes.filter((n) => n.batchIndex === index).map((n) => span.get(n.commandId) ?? Number.NaN)),
      );
    const settlesMs = (batches.length - 1) * plan.settleSec * 1000;
    const slowest = slowestOf(own);
    const slowestSystemd = slowestOf(systemd);
    const idealMs = slowest.reduce((sum, ms) => sum + ms, 0) + settlesMs;
    const systemdIdealMs = slowestSystemd.reduce((sum, ms) => sum + ms, 0) + settlesMs;
    const totalMs = done.finishedAt!.getTime() - done.createdAt.getTime();
    const ratio = (ideal: number) => Math.round((totalMs / ideal) * 1000) / 1000;
    const timeline = await nodeTimeline(bench.db, rollout.id, done.createdAt);
    // The agent's own account of its last start and record on each node: where the time after Finish went.
    const { execIn } = await import("@softfleet/lab");
    const agentLog: Record<string, string[]> = {};
    for (const node of lab.nodes) {
      const journal = await execIn(node.name, ["journalctl", "-u", "softfleet-agent", "--no-pager", "-o", "cat"]);
      agentLog[node.name] = journal.stdout
        .split("\n")
        .filter((line) => /start timing|reboot record sent/.test(line))
        .slice(-2);
    }
    return {
      name: `rollout on ${nodeCount} real lab nodes (canary 1, batches of 2, settle ${plan.settleSec} s)`,
      totalMs,
      /** Against each batch's slowest soft-reboot as the agent saw it (its signal to its reconnect). */
      agentIdeal: {
        idealMs: round(idealMs),
        slowestSoftRebootPerBatchMs: slowest.map(round),
        overheadPerBatchMs: round((totalMs - idealMs) / batches.length),
        ratio: ratio(idealMs),
      },
      /** Against each batch's slowest soft-reboot as systemd timed it (ShutdownStart to Finish). */
      systemdIdeal: {
        idealMs: round(systemdIdealMs),
        slowestShutdownStartToFinishPerBatchMs: slowestSystemd.map(round),
        overheadPerBatchMs: round((totalMs - systemdIdealMs) / batches.length),
        ratio: ratio(systemdIdealMs),
        goalRatio: 1.1,
      },
      timeline,
      agentLog,
    };
  } finally {
    await lab?.stop();
    await bench.stop();
  }
}

/**
 * Where a rollout's time goes, per node, in ms since the rollout was created: the engine's reboot
 * command, logind's signal on the node (its wall clock: lab nodes share the host's), the record of
 * the reboot stored, and the engine's verdict. The lab's nodes and the host share one clock.
 */
async function nodeTimeline(db: Db, rolloutId: string, createdAt: Date) {
  const since = (at: Date | number | null | undefined) =>
    at === null || at === undefined
      ? null
      : Math.round((typeof at === "number" ? at : at.getTime()) - createdAt.getTime());
  const nodes = await db.rolloutNode.findMany({
    where: { rolloutId },
    orderBy: [{ batchIndex: "asc" }, { hostname: "asc" }],
  });
  const transitions = await db.rolloutTransition.findMany({
    where: { rolloutId, machine: "node" },
    orderBy: { id: "asc" },
  });
  const rows = [];
  for (const node of nodes) {
    const mine = transitions.filter((t) => t.subject === node.nodeId);
    const at = (to: string) => since(mine.find((t) => t.to === to)?.at);
    const record = node.commandId
      ? await db.rebootRecord.findFirst({ where: { commandId: node.commandId }, select: { recordedAt: true } })
      : null;
    const signal = await db.nodeEvent.findFirst({
      where: { nodeId: node.nodeId, type: "shutdown-signal", receivedAt: { gte: createdAt } },
      orderBy: { receivedAt: "asc" },
      select: { payload: true },
    });
    const wallclock = (signal?.payload as { wallclock?: string } | null)?.wallclock;
    rows.push({
      node: node.hostname,
      batch: node.batchIndex,
      commandedMs: at("rebooting"),
      signalMs: wallclock ? since(Date.parse(wallclock)) : null,
      recordStoredMs: since(record?.recordedAt),
      verdictMs: at(node.status),
    });
  }
  return rows;
}
