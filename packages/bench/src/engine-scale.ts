import { cpus } from "node:os";
import { createRollout } from "@softfleet/fleet";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { batchesPlan, type EngineStep, parseStepLine } from "./rollouts";
import { until } from "./scratch-stack";
import { tail } from "./stats";
import { startWireStack } from "./wire-stack";

const say = (line: string) => console.error(`[bench engine-scale] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** Fleet sizes (SOFTFLEET_BENCH_ENGINE_NODES, default "1000,10000"). */
function sizes(): number[] {
  const text = process.env.SOFTFLEET_BENCH_ENGINE_NODES ?? "1000,10000";
  const list = text.split(",").map((part) => Number(part.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 10 || n > 50_000)) {
    throw new Error(
      `SOFTFLEET_BENCH_ENGINE_NODES must be fleet sizes from 10 to 50000, comma-separated, got "${text}"`,
    );
  }
  return list;
}

/**
 * Issue 15's goal 4: the rollout engine at 10,000 nodes, a rollout in
 * batches of 10%, each step p99 ≤ 50 ms. Per fleet size, on a fresh embedded
 * Postgres and one control process: wire-level agents that soft-reboot as
 * hosts do (version 2 staged), one rollout of the whole fleet to version 2,
 * and each engine step's time as control logs it (load, decide, write), the
 * batch transitions apart. The larger sizes are also given as a ratio
 * against the first.
 */
export async function benchEngineScale() {
  const runs = [];
  for (const nodes of sizes()) runs.push(await engineRun(nodes));
  const base = runs[0]!;
  return {
    name: `rollout engine at scale: ${runs.map((r) => r.nodes).join(" and ")} soft-rebooting wire agents, batches of 10%`,
    cores: cpus().length,
    goalStepP99Ms: 50,
    runs,
    ratiosAgainstFirst: runs.slice(1).map((run) => ({
      nodes: run.nodes,
      against: base.nodes,
      stepP99: round1(run.stepMs.p99 / base.stepMs.p99),
      batchTransitionP99: round1(run.batchTransitionMs.p99 / base.batchTransitionMs.p99),
    })),
  };
}

async function engineRun(count: number) {
  say(`${count} nodes: starting an embedded PostgreSQL and one control process`);
  const steps: EngineStep[] = [];
  const stack = await startWireStack("softfleet-bench-engine-scale-", {
    env: { SOFTFLEET_ENGINE_TIMINGS: "1" },
    output: (line) => {
      const step = parseStepLine(line);
      if (step) steps.push(step);
    },
  });
  const { db } = stack;
  try {
    const specs = await provisionNodes(db, count);
    const pool = stack.adopt(
      new WirePool(specs, { controlUrl: stack.control.url, connectConcurrency: 200, commands: "reboot", staged: "2" }),
    );
    await pool.start();
    await until(
      async () => (await db.node.count({ where: { status: "online", nextrootImageVersion: "2" } })) === count,
      `all ${count} nodes online with version 2 staged`,
      300_000,
      500,
    );
    const group = await db.nodeGroup.create({
      data: { name: `all ${count}`, members: { create: specs.map((s) => ({ nodeId: s.nodeId })) } },
    });
    const user = await db.user.create({
      data: { username: "bench", displayName: "Bench", passwordHash: "-", role: "operator" },
    });
    const batch = Math.ceil(count / 10);
    const plan = batchesPlan(batch, "2");
    say(`${count} nodes online; a rollout in batches of ${batch}`);
    const started = performance.now();
    const { rollout } = await db.$transaction(
      (tx) => createRollout(tx, { groupId: group.id, plan, user: { id: user.id, name: user.username } }),
      { timeout: 120_000 },
    );
    const progress = setInterval(async () => {
      const done = await db.rolloutNode.count({ where: { rolloutId: rollout.id, status: "succeeded" } }).catch(() => 0);
      say(
        `${count} nodes: ${done} succeeded, ${steps.length} engine steps (${round1((performance.now() - started) / 1000)} s)`,
      );
    }, 5_000);
    const done = await until(
      async () => {
        const row = await db.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
        if (row.finishedAt && row.status !== "completed")
          throw new Error(`the rollout ended ${row.status}: ${row.statusReason}`);
        return row.finishedAt ? row : null;
      },
      "the rollout to finish",
      900_000,
      200,
    ).finally(() => clearInterval(progress));
    const succeeded = await db.rolloutNode.count({ where: { rolloutId: rollout.id, status: "succeeded" } });
    const transitions = steps.filter((s) => s.kinds.includes("start-batch"));
    const result = {
      nodes: count,
      batchSize: batch,
      rolloutSec: round1((done.finishedAt!.getTime() - done.createdAt.getTime()) / 1000),
      nodesSucceeded: succeeded,
      stepMs: tail(steps.map((s) => s.ms)),
      batchTransitionMs: {
        ...tail(transitions.map((s) => s.ms)),
        parts: {
          loadMs: tail(transitions.map((s) => s.loadMs)),
          decideMs: tail(transitions.map((s) => s.decideMs)),
          writeMs: tail(transitions.map((s) => s.writeMs)),
        },
      },
      everyStepParts: {
        loadMs: tail(steps.map((s) => s.loadMs)),
        decideMs: tail(steps.map((s) => s.decideMs)),
        writeMs: tail(steps.map((s) => s.writeMs)),
      },
    };
    say(
      `${count} nodes: rollout ${result.rolloutSec} s, ${succeeded} succeeded; steps p50 ${result.stepMs.p50} p99 ${result.stepMs.p99} max ${result.stepMs.max} ms over ${steps.length}; batch transitions p99 ${result.batchTransitionMs.p99} ms`,
    );
    return result;
  } finally {
    await stack.stop();
  }
}
