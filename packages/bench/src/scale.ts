import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { cpuOver, rssMb } from "./proc-stats";
import { until } from "./scratch-stack";
import { startWireStack } from "./wire-stack";

const say = (line: string) => console.error(`[bench scale] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** Seconds of idle measured per fleet size (SOFTFLEET_BENCH_SCALE_IDLE_SEC, default 60). */
function idleSeconds(): number {
  const value = Number(process.env.SOFTFLEET_BENCH_SCALE_IDLE_SEC ?? 60);
  if (!Number.isInteger(value) || value < 5 || value > 3600) {
    throw new Error(`SOFTFLEET_BENCH_SCALE_IDLE_SEC must be a whole number from 5 to 3600, got "${value}"`);
  }
  return value;
}

/**
 * Fleet scale on one control process, with wire-level simulated agents (the
 * real protocol, spool rules and reconnect backoff; no host and no process per
 * node) in this process beside it:
 * 1. N agents connected and idle: control's and Postgres's CPU (each apart,
 *    and the load generator's own), and control's memory per connection;
 * 2. a reconnect storm: control is killed (SIGKILL) with an event in flight on
 *    every node, and started again; the time until every agent is welcomed
 *    and every node online, and the events the database holds against what
 *    the agents sent (none lost, none twice).
 * Each size runs on a fresh database; the figures of the larger sizes are
 * also given as a ratio against the first (smallest) size of the same command.
 */
export async function benchScale(sizes = [1_000, 10_000]) {
  const idleSec = idleSeconds();
  const runs = [];
  for (const nodes of sizes) runs.push(await scaleRun(nodes, idleSec));
  const base = runs[0]!;
  return {
    name: `scale: ${sizes.join(" and ")} wire-level agents on one control process`,
    cores: cpus().length,
    idleSeconds: idleSec,
    goals: {
      idleControlCpuPercentOfOneCore: 25,
      idlePostgresCpuPercentOfOneCore: 25,
      reconnectStormAllOnlineSec: 60,
    },
    runs,
    ratiosAgainstFirst: runs.slice(1).map((run) => ({
      nodes: run.nodes,
      against: base.nodes,
      idleControlCpu: ratio(run.idle.cpuPercentOfOneCore.control ?? 0, base.idle.cpuPercentOfOneCore.control ?? 0),
      idlePostgresCpu: ratio(run.idle.cpuPercentOfOneCore.postgres ?? 0, base.idle.cpuPercentOfOneCore.postgres ?? 0),
      reconnectAllOnline: ratio(run.reconnectStorm.allOnlineSec, base.reconnectStorm.allOnlineSec),
    })),
  };
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

async function scaleRun(count: number, idleSec: number) {
  say(`${count} nodes: starting an embedded PostgreSQL and one control process`);
  const controlLines: string[] = [];
  const stack = await startWireStack("softfleet-bench-scale-", {
    output: (line) => {
      controlLines.push(line);
      if (controlLines.length > 50) controlLines.shift();
    },
  });
  const { db, postgresPids } = stack;
  try {
    let control = stack.control;
    const specs = await provisionNodes(db, count);
    // Control's own start (tsx, Prisma, the engine thread) settles before its memory is read.
    await new Promise((r) => setTimeout(r, 5_000));
    const controlPid = control.child.pid!;
    const rssBeforeMb = (await rssMb(controlPid))!;

    say(`${count} nodes: connecting the agents (at most 200 handshakes at once)`);
    const pool = stack.adopt(new WirePool(specs, { controlUrl: control.url, connectConcurrency: 200 }));
    const connectStarted = performance.now();
    const progress = setInterval(
      () =>
        say(
          `${count} nodes: ${pool.counters.welcomed} of ${count} agents connected (${round1((performance.now() - connectStarted) / 1000)} s)`,
        ),
      5_000,
    );
    try {
      await pool.start();
      await until(async () => pool.counters.welcomed === count, `all ${count} agents to be welcomed`, 300_000, 200);
    } finally {
      clearInterval(progress);
    }
    const connectSec = (performance.now() - connectStarted) / 1000;
    await until(
      async () => (await db.node.count({ where: { status: "online" } })) === count,
      `all ${count} nodes to show online`,
      120_000,
      500,
    );

    // Idle: every agent beats once per interval (10 s), spread over it.
    say(`${count} nodes: all connected in ${round1(connectSec)} s; settling 15 s, then measuring ${idleSec} s of idle`);
    await new Promise((r) => setTimeout(r, 15_000));
    const rssConnectedMb = (await rssMb(controlPid))!;
    const heartbeatsBefore = pool.counters.heartbeats;
    const cpu = await cpuOver({ control: async () => [controlPid], postgres: postgresPids }, idleSec * 1000);
    const heartbeatsPerSec = (pool.counters.heartbeats - heartbeatsBefore) / idleSec;
    say(
      `${count} nodes idle: control ${cpu.control}%, Postgres ${cpu.postgres}%, load generator ${cpu.loadGenerator}% of one core`,
    );

    // The storm: events stored before, one more in flight on every node when control dies.
    const event = (phase: string) => () => ({
      type: "command-result" as const,
      commandId: `bench-${randomBytes(8).toString("hex")}`,
      outcome: "refused" as const,
      reason: `scale benchmark: ${phase}`,
    });
    pool.spoolOnEach(event("before the restart"));
    await until(async () => pool.unacked() === 0, "the events before the restart to be acked", 300_000, 200);
    pool.spoolOnEach(event("in flight at the restart"));
    say(`${count} nodes: killing control (SIGKILL) with an event in flight on every node, then starting it again`);
    const closesBefore = { ...pool.counters.closes };
    const killedAt = performance.now();
    control.child.kill("SIGKILL");
    await control.exited;
    control = await stack.restartControl(false);
    const restarted = control;
    /** A wait that ends with control's last lines if control exits meanwhile. */
    const whileControlRuns = <T>(wait: Promise<T>) =>
      Promise.race([
        wait,
        restarted.exited.then((code) => {
          throw new Error(`control exited (code ${code}) during the storm: ${controlLines.slice(-5).join(" | ")}`);
        }),
      ]);
    const stormProgress = setInterval(
      () =>
        say(
          `${count} nodes: ${pool.counters.welcomed} of ${count} agents back (${round1((performance.now() - killedAt) / 1000)} s after the kill)`,
        ),
      5_000,
    );
    let allWelcomedSec: number;
    let allOnlineSec: number;
    try {
      await whileControlRuns(
        until(async () => pool.counters.welcomed === count, `all ${count} agents back`, 600_000, 100),
      );
      allWelcomedSec = (performance.now() - killedAt) / 1000;
      await whileControlRuns(
        until(
          async () => (await db.node.count({ where: { status: "online" } })) === count,
          `all ${count} nodes online again`,
          600_000,
          200,
        ),
      );
      allOnlineSec = (performance.now() - killedAt) / 1000;
    } finally {
      clearInterval(stormProgress);
    }
    await whileControlRuns(until(async () => pool.unacked() === 0, "every spooled event to be acked", 300_000, 200));
    const drainedSec = (performance.now() - killedAt) / 1000;
    const [stored] = await db.$queryRaw<Array<{ rows: bigint; distinct: bigint; before: bigint; inFlight: bigint }>>`
      SELECT count(*) AS rows, count(DISTINCT ("nodeId", id)) AS distinct,
             count(*) FILTER (WHERE payload->>'reason' = 'scale benchmark: before the restart') AS before,
             count(*) FILTER (WHERE payload->>'reason' = 'scale benchmark: in flight at the restart') AS "inFlight"
      FROM "NodeEvent" WHERE type = 'command-result'`;
    const sent = pool.counters.eventsSpooled;
    const result = {
      nodes: count,
      connectAllSec: round1(connectSec),
      idle: {
        cpuPercentOfOneCore: cpu,
        heartbeatsPerSec: round1(heartbeatsPerSec),
        controlRssMb: { beforeAgents: round1(rssBeforeMb), connected: round1(rssConnectedMb) },
        controlKbPerConnection: Math.round(((rssConnectedMb - rssBeforeMb) * 1024) / count),
      },
      reconnectStorm: {
        allWelcomedSec: round1(allWelcomedSec),
        allOnlineSec: round1(allOnlineSec),
        allEventsAckedSec: round1(drainedSec),
        failedAttempts: pool.counters.failedAttempts,
        closesDuringStorm: Object.fromEntries(
          Object.entries(pool.counters.closes).map(([code, n]) => [code, n - (closesBefore[Number(code)] ?? 0)]),
        ),
        eventsSentByAgents: sent,
        eventsStored: Number(stored!.rows),
        eventsStoredTwice: Number(stored!.rows - stored!.distinct),
        lost: sent - Number(stored!.distinct),
        perPhase: { beforeRestart: Number(stored!.before), inFlightAtRestart: Number(stored!.inFlight) },
      },
    };
    say(
      `${count} nodes: storm: all back ${result.reconnectStorm.allWelcomedSec} s, online ${result.reconnectStorm.allOnlineSec} s after the kill; events sent ${sent}, stored ${result.reconnectStorm.eventsStored}, lost ${result.reconnectStorm.lost}`,
    );
    return result;
  } finally {
    await stack.stop();
  }
}
