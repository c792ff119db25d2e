import { randomBytes } from "node:crypto";
import { requestSoftReboot } from "@softfleet/fleet";
import { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { until } from "@softfleet/testkit/rollouts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Two control processes behind one address (CONTROL_PROCESSES=2), sharing 40 wire-level agents. */
const NODES = 40;
const METRICS_TOKEN = "two-processes-metrics-token";

/** One sample's value from a scrape's text, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}
let t: TestDatabase;
let control: TestControl;
let pool: WirePool | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t, { env: { CONTROL_PROCESSES: "2", SOFTFLEET_METRICS_TOKEN: METRICS_TOKEN } });
}, 60_000);
afterAll(async () => {
  pool?.stop();
  await control?.stop();
  await t?.drop();
});

/** The workers' pids, from the primary's log ("worker 1 started (pid 123)"), the latest per slot. */
function workers(): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of control.output) {
    const match = /worker (\d+) started \(pid (\d+)\)/.exec(line);
    if (match) pids.set(match[1]!, Number(match[2]));
  }
  return pids;
}

const answer = () => ({
  type: "command-result" as const,
  commandId: `multi-${randomBytes(6).toString("hex")}`,
  outcome: "refused" as const,
  reason: "two control processes test",
});

describe("two control processes behind one address", () => {
  it("share the agents, deliver a command whichever holds the node, and take over a killed one's agents", async () => {
    // Both listening: a connection made before the second is up would all go to the first.
    await until(
      "both workers listening",
      async () => [1, 2].every((n) => control.output.some((line) => line.includes(`[control ${n}] listening on`))),
      30_000,
    );
    const specs = await provisionNodes(t.db, NODES);
    pool = new WirePool(specs, { controlUrl: control.url, backoff: { minMs: 200, maxMs: 2_000 } });
    await pool.start();
    await until("every agent welcomed", async () => pool!.counters.welcomed === NODES, 30_000);

    // A scrape reaches one process and answers for both: connections summed, the fleet's gauges not doubled.
    const scrape = async () => {
      const response = await fetch(`${control.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const merged = await until("both processes' agents counted in one scrape", async () => {
      const text = await scrape();
      return sample(text, 'softfleet_agent_connections{state="greeted"}') === NODES ? text : null;
    });
    const total = (prefix: string) =>
      merged
        .split("\n")
        .filter((l) => l.startsWith(prefix))
        .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    expect(total('softfleet_nodes{status="online"')).toBe(NODES);
    expect(total("softfleet_agent_messages_total{")).toBeGreaterThanOrEqual(NODES);

    // A command to every node, requested here: each reaches its node, whichever process holds it.
    const before = pool.counters.commands;
    await t.db.$transaction(async (tx) => {
      for (const spec of specs)
        await requestSoftReboot(tx, { nodeId: spec.nodeId, requireNextroot: false, requestedById: null });
    });
    await until("every command delivered", async () => pool!.counters.commands - before === NODES, 30_000);

    // One process is killed (kill -9): its agents are back, on the other (or on its restart).
    const [slot, pid] = [...workers()][0]!;
    const welcomesBefore = pool.counters.welcomes;
    process.kill(pid, "SIGKILL");
    pool.spoolOnEach(answer);
    await until("some agents reconnected", async () => pool!.counters.welcomes > welcomesBefore, 30_000);
    await until("every agent welcomed again", async () => pool!.counters.welcomed === NODES, 30_000);
    // The killed one held some of the agents, not all: the primary spread them over both.
    const moved = pool.counters.welcomes - welcomesBefore;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(NODES);
    await until(
      "every node online",
      async () =>
        (await t.db.node.count({ where: { id: { in: specs.map((s) => s.nodeId) }, status: "online" } })) === NODES,
      30_000,
    );
    await until("every event acked", async () => pool!.unacked() === 0, 30_000);
    const events = await t.db.nodeEvent.findMany({
      where: { nodeId: { in: specs.map((s) => s.nodeId) }, type: "command-result" },
      select: { nodeId: true, id: true },
    });
    // Each agent answered its command (refused: no host) and sent one more event: each stored once.
    expect(events).toHaveLength(pool.counters.eventsSpooled);
    expect(new Set(events.map((e) => `${e.nodeId} ${e.id}`)).size).toBe(events.length);
    // The primary started the killed worker again.
    await until("the killed worker restarted", async () => workers().get(slot) !== pid, 30_000);
  }, 120_000);
});
