import { type IncomingEvent, type RunStatement, storeEvent, storeEventBatch } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBatch } from "./event-batch";
import { machineIdOf } from "./testing";

let t: TestDatabase;
let counter = 9_000;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function nodeRow(bootId = "b".repeat(32)) {
  const node = await t.db.node.create({
    data: { machineId: machineIdOf(counter++), hostname: `eb-${counter}`, status: "online", bootId },
  });
  return node.id;
}

const signal = (nodeId: string, id: string, bootId = "b".repeat(32)): IncomingEvent => ({
  nodeId,
  id,
  event: {
    type: "shutdown-signal",
    start: true,
    shutdownType: "soft-reboot",
    monotonicUsec: "1000",
    wallclock: new Date().toISOString(),
    bootId,
    softRebootsCount: 0,
  },
});

/** The writer the gateway uses, counting its statements. */
function writer() {
  const statements = { batches: 0, alone: 0 };
  const run: RunStatement = (sql, json) => t.db.$queryRawUnsafe(sql, json);
  const batch = new EventBatch(
    (events) => {
      statements.batches++;
      return storeEventBatch(run, events);
    },
    (e) => {
      statements.alone++;
      return t.db.$transaction((tx) => storeEvent(tx, e.nodeId, e.id, e.event));
    },
  );
  return { batch, statements };
}

describe("events stored in batches (group commit)", () => {
  it("stores many nodes' events in fewer statements than events, each once, with its effects", async () => {
    const nodes = await Promise.all(Array.from({ length: 120 }, () => nodeRow()));
    const { batch, statements } = writer();
    const stored = await Promise.all(nodes.map((nodeId) => batch.store(signal(nodeId, `sig-${nodeId}`))));
    expect(stored.every(Boolean)).toBe(true);
    // The first went alone; the rest gathered while it was written.
    expect(statements.batches).toBeLessThan(10);
    expect(await t.db.nodeEvent.count({ where: { nodeId: { in: nodes }, type: "shutdown-signal" } })).toBe(120);
    expect(await t.db.node.count({ where: { id: { in: nodes }, status: "rebooting" } })).toBe(120);
    // Sent again (an agent that lost the ack): acked again, stored once.
    const again = await Promise.all(nodes.map((nodeId) => batch.store(signal(nodeId, `sig-${nodeId}`))));
    expect(again.every((s) => s === false)).toBe(true);
    expect(await t.db.nodeEvent.count({ where: { nodeId: { in: nodes }, type: "shutdown-signal" } })).toBe(120);
  });

  it("keeps a node's events in order, one per statement, and a signal of an earlier boot changes no status", async () => {
    const nodeId = await nodeRow("c".repeat(32));
    const { batch } = writer();
    const results = await Promise.all([
      batch.store(signal(nodeId, "old-boot", "d".repeat(32))),
      batch.store({
        nodeId,
        id: "answer-1",
        event: { type: "command-result", commandId: "no-such-command", outcome: "refused", reason: "test" },
      }),
    ]);
    expect(results).toEqual([true, true]);
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("online");
    const events = await t.db.nodeEvent.findMany({ where: { nodeId }, orderBy: { receivedAt: "asc" } });
    expect(events.map((e) => e.id)).toEqual(["old-boot", "answer-1"]);
  });

  it("stores the good events of a batch that holds one the database cannot take, and fails that one alone", async () => {
    const good = await Promise.all(Array.from({ length: 5 }, () => nodeRow()));
    const bad = await nodeRow();
    const { batch, statements } = writer();
    // Hold the writer with a first event, so that the next ones meet in one batch.
    const first = batch.store(signal(await nodeRow(), "first"));
    const outcomes = await Promise.allSettled([
      ...good.map((nodeId) => batch.store(signal(nodeId, `ok-${nodeId}`))),
      // A NUL character: JSON may carry it, Postgres's jsonb may not.
      batch.store({
        nodeId: bad,
        id: "nul",
        event: { type: "command-result", commandId: "c", outcome: "refused", reason: "a\u0000b" },
      }),
    ]);
    await first;
    expect(outcomes.slice(0, 5).map((o) => o.status)).toEqual(Array(5).fill("fulfilled"));
    expect(outcomes[5]!.status).toBe("rejected");
    expect(statements.alone).toBe(6);
    expect(await t.db.nodeEvent.count({ where: { nodeId: { in: good } } })).toBe(5);
    expect(await t.db.nodeEvent.count({ where: { nodeId: bad } })).toBe(0);
  });

  it("writes several batches at once, a node never in two, its later event waiting for its earlier one", async () => {
    const writes: Array<{ ids: string[]; done: () => void }> = [];
    const order: string[] = [];
    const batch = new EventBatch(
      (events) =>
        new Promise<boolean[]>((resolve) => {
          writes.push({
            ids: events.map((e) => e.id),
            done: () => {
              order.push(...events.map((e) => e.id));
              resolve(events.map(() => true));
            },
          });
        }),
      () => Promise.resolve(true),
      100,
      2,
    );
    const answer = (nodeId: string, id: string): IncomingEvent => ({
      nodeId,
      id,
      event: { type: "command-result", commandId: "c", outcome: "refused", reason: "test" },
    });
    const a1 = batch.store(answer("a", "a1"));
    const b1 = batch.store(answer("b", "b1"));
    const a2 = batch.store(answer("a", "a2"));
    const c1 = batch.store(answer("c", "c1"));
    // The first two went at once, each in a batch of its own; two batches are being written.
    expect(writes.map((w) => w.ids)).toEqual([["a1"], ["b1"]]);
    expect(batch.backlog).toBe(2);
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    writes[1]!.done();
    await b1;
    await settled();
    // A writer is free: c's event goes, and a's second stays behind its first, still being written.
    expect(writes.map((w) => w.ids)).toEqual([["a1"], ["b1"], ["c1"]]);
    writes[2]!.done();
    await c1;
    await settled();
    expect(writes).toHaveLength(3);
    expect(batch.backlog).toBe(1);
    writes[0]!.done();
    await a1;
    await settled();
    expect(writes.map((w) => w.ids)).toEqual([["a1"], ["b1"], ["c1"], ["a2"]]);
    writes[3]!.done();
    expect(await a2).toBe(true);
    expect(order).toEqual(["b1", "c1", "a1", "a2"]);
  });
});
