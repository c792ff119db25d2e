import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { cpuOver } from "./proc-stats";
import { until } from "./scratch-stack";
import { startWireStack } from "./wire-stack";

const say = (line: string) => console.error(`[bench ingest] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** A whole-number setting from the environment (agents, offered rate, seconds), checked. */
function setting(name: string, fallback: number, min: number, max: number) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${process.env[name]}"`);
  }
  return value;
}

/**
 * Issue 15's goal 3: one control process ingests ≥ 20,000 events/s for 60 s,
 * none lost or stored twice, each acked only once it is durable. N wire-level
 * agents (the real protocol and spool window) on a fresh embedded Postgres;
 * every 50 ms the load generator spools what the offered rate owes by then
 * (commands' answers, round-robin over the agents), and counts what the
 * server acks each second. After the window it waits for every event to be
 * acked, then counts the database's rows against what the agents sent.
 */
export async function benchIngest() {
  const count = setting("SOFTFLEET_BENCH_INGEST_NODES", 10_000, 1, 50_000);
  const rate = setting("SOFTFLEET_BENCH_INGEST_RATE", 20_000, 100, 200_000);
  const seconds = setting("SOFTFLEET_BENCH_INGEST_SEC", 60, 5, 600);
  say(`${count} agents, ${rate} events/s offered for ${seconds} s: starting an embedded PostgreSQL and control`);
  const stack = await startWireStack("softfleet-bench-ingest-");
  const { db } = stack;
  try {
    const specs = await provisionNodes(db, count);
    const pool = stack.adopt(new WirePool(specs, { controlUrl: stack.control.url, connectConcurrency: 200 }));
    await pool.start();
    await until(async () => pool.counters.welcomed === count, `all ${count} agents to be welcomed`, 300_000, 200);
    say(`${count} agents connected; offering ${rate} events/s for ${seconds} s`);

    const nodes = pool.nodes;
    let next = 0;
    let offeredSoFar = 0;
    const offerStarted = performance.now();
    const event = () => ({
      type: "command-result" as const,
      commandId: `ingest-${randomBytes(6).toString("hex")}`,
      outcome: "refused" as const,
      reason: "ingest benchmark",
    });
    // What is owed comes from the time elapsed, not from the ticks counted: a tick that comes late
    // (a busy event loop) offers more, so the rate offered is the rate asked for.
    const offer = setInterval(() => {
      const owed = Math.floor((rate * (performance.now() - offerStarted)) / 1000) - offeredSoFar;
      for (let i = 0; i < owed; i++) nodes[next++ % nodes.length]!.spoolEvent(event());
      offeredSoFar += Math.max(0, owed);
    }, 50);
    const ackedAtStart = pool.counters.eventsAcked;
    const sentAtStart = pool.counters.eventsSpooled;
    const perSecond: number[] = [];
    let ackedBefore = ackedAtStart;
    const sampler = setInterval(() => {
      const acked = pool.counters.eventsAcked;
      perSecond.push(acked - ackedBefore);
      ackedBefore = acked;
      if (perSecond.length % 5 === 0) {
        say(`${perSecond.length} s: ${acked - ackedAtStart} acked, ${pool.unacked()} waiting for their ack`);
      }
    }, 1_000);
    const cpu = await cpuOver(
      { control: async () => [stack.control.child.pid!], postgres: stack.postgresPids },
      seconds * 1000,
    ).finally(() => {
      clearInterval(offer);
      clearInterval(sampler);
    });
    // The window as it was, not as asked for: on a saturated machine the timers of this process come
    // late, and the offering ran for as long as the window took.
    const windowSec = (performance.now() - offerStarted) / 1000;
    const offered = pool.counters.eventsSpooled - sentAtStart;
    const ackedInWindow = pool.counters.eventsAcked - ackedAtStart;
    const backlogAtEnd = pool.unacked();
    say(
      `window over after ${round1(windowSec)} s: ${offered} offered, ${ackedInWindow} acked; waiting for the rest to be acked`,
    );
    const drainStarted = performance.now();
    await until(async () => pool.unacked() === 0, "every event to be acked", 600_000, 200);
    const drainSec = (performance.now() - drainStarted) / 1000;
    const [stored] = await db.$queryRaw<Array<{ rows: bigint; distinct: bigint }>>`
      SELECT count(*) AS rows, count(DISTINCT ("nodeId", id)) AS distinct FROM "NodeEvent" WHERE type = 'command-result'`;
    const sent = pool.counters.eventsSpooled;
    const sustained = ackedInWindow / windowSec;
    const sorted = [...perSecond].sort((a, b) => a - b);
    const result = {
      name: `ingest: ${rate.toLocaleString("en")} events/s offered by ${count.toLocaleString("en")} wire-level agents to one control process for ${seconds} s`,
      cores: cpus().length,
      goalEventsPerSec: 20_000,
      windowSec: round1(windowSec),
      offeredPerSec: round1(offered / windowSec),
      ackedPerSec: round1(sustained),
      ackedPerSecond: {
        min: sorted[0] ?? 0,
        median: sorted[Math.floor(sorted.length / 2)] ?? 0,
        max: sorted.at(-1) ?? 0,
      },
      waitingForAckAtEnd: backlogAtEnd,
      drainSec: round1(drainSec),
      cpuPercentOfOneCore: cpu,
      eventsSent: sent,
      eventsStored: Number(stored!.rows),
      storedTwice: Number(stored!.rows - stored!.distinct),
      lost: sent - Number(stored!.distinct),
      meetsGoal: sustained >= 20_000 && Number(stored!.distinct) === sent,
    };
    say(
      `acked ${result.ackedPerSec}/s (offered ${result.offeredPerSec}/s); stored ${result.eventsStored}, twice ${result.storedTwice}, lost ${result.lost}; control ${cpu.control}%, Postgres ${cpu.postgres}%, load generator ${cpu.loadGenerator}%`,
    );
    return result;
  } finally {
    await stack.stop();
  }
}
