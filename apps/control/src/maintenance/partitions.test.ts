import { randomBytes } from "node:crypto";
import { Prisma } from "@softfleet/db";
import {
  ensurePartitionsFor,
  fleetReport,
  type IncomingEvent,
  monthStart,
  partitionMonths,
  type RunStatement,
  storeEvent,
  storeEventBatch,
} from "@softfleet/fleet";
import type { AgentEvent } from "@softfleet/protocol";
import { createTestDatabase, startTestControl, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPartitionKeeper } from "./partitions";

/**
 * Events, reboot records and units are partitioned by month: each is still
 * stored once whatever month holds it, and retention drops whole months (as
 * the app's role, which has row rights only).
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const DAY_MS = 86_400_000;
const unique = () => randomBytes(4).toString("hex");

async function newNode() {
  return t.db.node.create({
    data: { machineId: randomBytes(16).toString("hex"), hostname: `part-${unique()}`, labels: {} },
  });
}

const signal = (bootId: string): AgentEvent => ({
  type: "shutdown-signal",
  start: true,
  shutdownType: "soft-reboot",
  monotonicUsec: "1000",
  wallclock: new Date().toISOString(),
  bootId,
  softRebootsCount: 0,
});

/** An answer to a command nobody sent: stored as an event, with no effect. */
const note: AgentEvent = { type: "command-result", commandId: "no-such-command", outcome: "refused", reason: "test" };

/** What the gateway's lanes run: the statements in one transaction (here through Prisma). */
const run: RunStatement = (sql, json) => t.db.$queryRawUnsafe(sql, json);

const eventCount = async (nodeId: string, id: string) =>
  (await t.db.nodeEvent.count({ where: { nodeId, id } })) as number;

/** Moves a node's stored event `id` to a month long past (its row moves to that month's partition). */
async function ageEvent(nodeId: string, id: string, at: Date) {
  await t.db.$executeRaw`UPDATE "NodeEvent" SET "receivedAt" = ${at} WHERE "nodeId" = ${nodeId} AND id = ${id}`;
}

describe("events partitioned by month", () => {
  it("stores an event sent again months later once: a stored signal is not stored again, alone or in a batch", async () => {
    const node = await newNode();
    const old = new Date(monthStart(new Date(), -5).getTime() + 3 * DAY_MS);
    const id = `sig-${unique()}`;
    expect(await t.db.$transaction((tx) => storeEvent(tx, node.id, id, signal("boot-1")))).toBe(true);
    await ageEvent(node.id, id, old);
    const [where] = await t.db.$queryRaw<[{ month: string }]>`
      SELECT tableoid::regclass::text AS month FROM "NodeEvent" WHERE "nodeId" = ${node.id} AND id = ${id}`;
    expect(where!.month).toBe(`"NodeEvent_p${old.toISOString().slice(0, 7).replace("-", "")}"`);

    // Sent again (the ack was lost): neither path stores it a second time.
    expect(await t.db.$transaction((tx) => storeEvent(tx, node.id, id, signal("boot-1")))).toBe(false);
    expect(await storeEventBatch(run, [{ nodeId: node.id, id, event: signal("boot-1") }])).toEqual([false]);
    expect(await eventCount(node.id, id)).toBe(1);

    // Another node's event with the same id is its own.
    const other = await newNode();
    expect(await storeEventBatch(run, [{ nodeId: other.id, id, event: signal("boot-1") }])).toEqual([true]);
  });

  it("stores an event once when two writers store it at the same time (its connection moved to another process)", async () => {
    const node = await newNode();
    for (let round = 0; round < 10; round++) {
      const id = `ev-${round}-${unique()}`;
      const e: IncomingEvent = { nodeId: node.id, id, event: round % 2 ? signal("boot-1") : note };
      const stored = await Promise.all([
        t.db.$transaction((tx) => storeEvent(tx, e.nodeId, e.id, e.event)),
        storeEventBatch(run, [e]).then(([s]) => s),
        t.db.$transaction((tx) => storeEvent(tx, e.nodeId, e.id, e.event)),
      ]);
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(await eventCount(node.id, id)).toBe(1);
    }
  });
});

describe("retention", () => {
  it("drops whole months past the retention, with their records, units and kept report days, and keeps the rest", async () => {
    const node = await newNode();
    const now = new Date();
    const months = [-14, -3, 0].map((m) => new Date(monthStart(now, m).getTime() + 2 * DAY_MS));
    await ensurePartitionsFor(t.db, months[0]!, now);
    for (const [i, at] of months.entries()) {
      await t.db.$executeRaw`
        INSERT INTO "NodeEvent" (id, "nodeId", type, payload, "receivedAt")
        VALUES (${`kept-${i}`}, ${node.id}, 'reboot-record', '{}', ${at})`;
      await t.db.$executeRaw`
        INSERT INTO "NodeEventKey" ("nodeId", id, "receivedAt") VALUES (${node.id}, ${`kept-${i}`}, ${at})`;
      await t.db.$executeRaw`
        INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
          "bootIdAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec", "agentConnectedUsec", units,
          "recordedAt")
        VALUES (${`rec-${i}-${unique()}`}, ${node.id}, ${`kept-${i}`}, 'soft-reboot', 'soft-reboot', false, false,
          'manual', 'b', 1000000, 1020000, 1300000, 2200000, 2400000,
          '[{"name": "web.service", "outcome": "restarted", "inactiveEnterUsec": "1", "activeEnterUsec": "2001"}]',
          ${at})`;
    }
    // The oldest day's report figures are kept (as the report page's would be).
    const oldRange = { from: new Date(months[0]!.getTime() - DAY_MS), to: new Date(months[0]!.getTime() + 5 * DAY_MS) };
    expect((await fleetReport(t.db, oldRange)).byType.map((s) => s.reboots)).toEqual([1]);
    expect(await t.db.reportBucket.count({ where: { at: { lt: monthStart(months[0]!, 1) } } })).toBeGreaterThan(0);

    const before = await partitionMonths(t.db);
    const logs: string[] = [];
    // 200 days: the month 14 back goes; the month 3 back (under 120 days) stays.
    const keeper = startPartitionKeeper(t.db, { retentionDays: 200, log: (line) => logs.push(line) });
    await keeper.settled();
    await keeper.close();
    expect(logs.join("\n")).toMatch(/retention: dropped \d+ month tables older than 200 days/);

    const after = await partitionMonths(t.db);
    const cutoff = monthStart(new Date(now.getTime() - 200 * DAY_MS));
    expect(after.every((m) => new Date(`${m}-01T00:00:00Z`) >= cutoff)).toBe(true);
    expect(before.filter((m) => !after.includes(m))).toContain(months[0]!.toISOString().slice(0, 7));
    // The months ahead are there.
    expect(after).toContain(monthStart(now, 3).toISOString().slice(0, 7));

    const left = await t.db.$queryRaw<Array<{ eventId: string; units: number }>>`
      SELECT r."eventId", (SELECT count(*)::int FROM "RebootUnit" u WHERE u."recordId" = r.id) AS units
      FROM "RebootRecord" r WHERE r."nodeId" = ${node.id} ORDER BY r."recordedAt"`;
    expect(left).toEqual([
      { eventId: "kept-1", units: 1 },
      { eventId: "kept-2", units: 1 },
    ]);
    expect(
      (await t.db.nodeEvent.findMany({ where: { nodeId: node.id }, orderBy: { receivedAt: "asc" } })).map((e) => e.id),
    ).toEqual(["kept-1", "kept-2"]);
    // So are the keys of the events dropped: sent again, such an event would be new.
    expect(
      (await t.db.nodeEventKey.findMany({ where: { nodeId: node.id }, orderBy: { receivedAt: "asc" } })).map(
        (k) => k.id,
      ),
    ).toEqual(["kept-1", "kept-2"]);
    expect(
      await t.db.$queryRaw<[{ n: number }]>(
        Prisma.sql`SELECT count(*)::int AS n FROM "RebootUnit" WHERE "nodeId" = ${node.id}`,
      ),
    ).toEqual([{ n: 2 }]);
    // What the report kept of the dropped days is forgotten: the report of that range now counts nothing.
    expect(await t.db.reportBucket.count({ where: { at: { lt: monthStart(months[0]!, 1) } } })).toBe(0);
    expect((await fleetReport(t.db, oldRange)).byType).toEqual([]);

    // Writes carry on: this month's event is stored.
    expect(await t.db.$transaction((tx) => storeEvent(tx, node.id, `new-${unique()}`, note))).toBe(true);
  });

  it("is a control setting: SOFTFLEET_RETENTION_DAYS, checked at start, applied by the running control", async () => {
    const bad = startTestControl(t, { env: { SOFTFLEET_RETENTION_DAYS: "three" } });
    await expect(bad).rejects.toThrow(/SOFTFLEET_RETENTION_DAYS: must be a whole number of days/);

    const old = new Date(monthStart(new Date(), -20).getTime() + DAY_MS);
    await ensurePartitionsFor(t.db, old, old);
    expect(await partitionMonths(t.db)).toContain(old.toISOString().slice(0, 7));
    const control = await startTestControl(t, { env: { SOFTFLEET_RETENTION_DAYS: "400" } });
    try {
      await until("control to apply the retention", async () =>
        control.output.some((line) => /retention: dropped \d+ month tables older than 400 days/.test(line)),
      );
      expect(await partitionMonths(t.db)).not.toContain(old.toISOString().slice(0, 7));
    } finally {
      await control.stop();
    }
  }, 90_000);
});
