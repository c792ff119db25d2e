import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { cpuOver } from "./proc-stats";
import { until } from "./scratch-stack";
import { startWireStack } from "./wire-stack";

const say = (line: string) => console.error(`[bench scale-multi] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Issue 15's goal 6: N agents over two control processes behind one address
 * (CONTROL_PROCESSES=2), one of them killed (SIGKILL) with an event in flight
 * on every agent: the time until every agent is back and every node online
 * (goal: 30 s), the events stored against those sent, and each process's CPU
 * while idle. SOFTFLEET_BENCH_MULTI_NODES (default 10000).
 */
export async function benchScaleMulti() {
  const count = Number(process.env.SOFTFLEET_BENCH_MULTI_NODES ?? 10_000);
  if (!Number.isInteger(count) || count < 10 || count > 50_000) {
    throw new Error(`SOFTFLEET_BENCH_MULTI_NODES must be a whole number from 10 to 50000, got "${count}"`);
  }
  say(`${count} nodes: starting an embedded PostgreSQL and two control processes behind one address`);
  const lines: string[] = [];
  const workers = () => {
    const pids = new Map<string, number>();
    for (const line of lines) {
      const match = /worker (\d+) started \(pid (\d+)\)/.exec(line);
      if (match) pids.set(match[1]!, Number(match[2]));
    }
    return pids;
  };
  const stack = await startWireStack("softfleet-bench-scale-multi-", {
    env: { CONTROL_PROCESSES: "2" },
    output: (line) => lines.push(line),
  });
  const { db } = stack;
  try {
    // Both listening: connections made before the second is up would all go to the first.
    await until(
      async () => [1, 2].every((n) => lines.some((line) => line.includes(`[control ${n}] listening on`))),
      "both workers to listen",
      60_000,
    );
    const specs = await provisionNodes(db, count);
    const pool = stack.adopt(new WirePool(specs, { controlUrl: stack.control.url, connectConcurrency: 200 }));
    const connectStarted = performance.now();
    await pool.start();
    await until(async () => pool.counters.welcomed === count, `all ${count} agents to be welcomed`, 300_000, 200);
    const connectSec = (performance.now() - connectStarted) / 1000;
    say(`${count} agents connected in ${round1(connectSec)} s; 15 s to settle, then 30 s of idle measured`);
    await new Promise((r) => setTimeout(r, 15_000));
    const [first, second] = [...workers()];
    const cpu = await cpuOver(
      {
        [`worker${first![0]}`]: async () => [first![1]],
        [`worker${second![0]}`]: async () => [second![1]],
        primary: async () => [stack.control.child.pid!],
        postgres: stack.postgresPids,
      },
      30_000,
    );
    say(`idle: ${JSON.stringify(cpu)} (% of one core)`);

    const event = () => ({
      type: "command-result" as const,
      commandId: `multi-${randomBytes(6).toString("hex")}`,
      outcome: "refused" as const,
      reason: "scale-multi benchmark: in flight at the kill",
    });
    pool.spoolOnEach(event);
    const welcomesBefore = pool.counters.welcomes;
    const closesBefore = Object.values(pool.counters.closes).reduce((a, b) => a + b, 0);
    const killedAt = performance.now();
    const killedAtWall = new Date();
    say(`killing worker ${first![0]} (pid ${first![1]}, SIGKILL) with an event in flight on every agent`);
    process.kill(first![1], "SIGKILL");
    const progress = setInterval(
      () =>
        say(
          `${pool.counters.welcomes - welcomesBefore} agents back, ${pool.counters.welcomed} of ${count} connected (${round1((performance.now() - killedAt) / 1000)} s after the kill)`,
        ),
      5_000,
    );
    let allWelcomedSec: number;
    let allOnlineSec: number;
    try {
      // The kill is seen (its agents' connections end), then every agent is connected again.
      const closed = () => Object.values(pool.counters.closes).reduce((a, b) => a + b, 0);
      await until(async () => closed() > closesBefore, "the killed process's connections to end", 60_000, 20);
      await until(async () => pool.counters.welcomed === count, "every agent back", 600_000, 100);
      allWelcomedSec = (performance.now() - killedAt) / 1000;
      // Online again: each moved agent's node shows a hello stored after the kill.
      const moved = pool.counters.welcomes - welcomesBefore;
      await until(
        async () => (await db.node.count({ where: { status: "online", connectedAt: { gte: killedAtWall } } })) >= moved,
        "every moved node online",
        600_000,
        200,
      );
      allOnlineSec = (performance.now() - killedAt) / 1000;
    } finally {
      clearInterval(progress);
    }
    await until(async () => pool.unacked() === 0, "every event acked", 300_000, 200);
    const [stored] = await db.$queryRaw<Array<{ rows: bigint; distinct: bigint }>>`
      SELECT count(*) AS rows, count(DISTINCT ("nodeId", id)) AS distinct FROM "NodeEvent" WHERE type = 'command-result'`;
    const sent = pool.counters.eventsSpooled;
    const result = {
      name: `several control processes: ${count.toLocaleString("en")} wire-level agents over 2 processes behind one address, one killed`,
      cores: cpus().length,
      goalBackWithinSec: 30,
      connectAllSec: round1(connectSec),
      idleCpuPercentOfOneCore: cpu,
      agentsOnKilledProcess: pool.counters.welcomes - welcomesBefore,
      allBackSec: round1(allWelcomedSec),
      allOnlineSec: round1(allOnlineSec),
      eventsSent: sent,
      eventsStored: Number(stored!.rows),
      storedTwice: Number(stored!.rows - stored!.distinct),
      lost: sent - Number(stored!.distinct),
    };
    say(
      `${result.agentsOnKilledProcess} agents were on the killed process; all back ${result.allBackSec} s, online ${result.allOnlineSec} s after the kill; events sent ${sent}, stored ${result.eventsStored}, lost ${result.lost}`,
    );
    return result;
  } finally {
    await stack.stop();
  }
}
