import { randomBytes } from "node:crypto";
import { requestSoftReboot } from "@softfleet/fleet";
import { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { until } from "@softfleet/testkit/rollouts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Two control processes behind one address (CONTROL_PROCESSES=2), sharing 40 wire-level agents. */
const NODES = 40;
let t: TestDatabase;
let control: TestControl;
let pool: WirePool | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t, { env: { CONTROL_PROCESSES: "2" } });
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
