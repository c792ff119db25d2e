import { CHANGES_CHANNEL, changeSchema, type FleetChange, recordPresence } from "@softfleet/fleet";
import { PROTOCOL_VERSION } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "./listen";
import { PresenceWriter } from "./presence";
import { connect, enroll, machineIdOf, newToken, startGateway } from "./testing";

let t: TestDatabase;
let counter = 7_000;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const LONG_AGO = new Date(Date.now() - 3_600_000);

/** A node row as enrollment and a hello leave it, last seen long ago. */
async function nodeRow(status: "online" | "offline" | "rebooting", updatedAt = LONG_AGO) {
  const node = await t.db.node.create({
    data: { machineId: machineIdOf(counter++), hostname: `p-${counter}`, status, lastSeenAt: LONG_AGO },
  });
  // Prisma sets updatedAt itself on create: put it where the test needs it.
  await t.db.$executeRaw`UPDATE "Node" SET "updatedAt" = ${updatedAt} WHERE id = ${node.id}`;
  return node.id;
}

const row = (id: string) =>
  t.db.node.findUniqueOrThrow({ where: { id }, select: { status: true, lastSeenAt: true, updatedAt: true } });

describe("recordPresence: many nodes' heartbeats in one statement", () => {
  it("moves every node's last-seen forward, never back", async () => {
    const a = await nodeRow("online");
    const b = await nodeRow("online");
    const now = new Date();
    await t.db.$transaction((tx) =>
      recordPresence(
        tx,
        new Map([
          [a, now],
          [b, now],
        ]),
      ),
    );
    expect((await row(a)).lastSeenAt).toEqual(now);
    expect((await row(b)).lastSeenAt).toEqual(now);
    // A heartbeat written late (an older one) does not move it back.
    await t.db.$transaction((tx) => recordPresence(tx, new Map([[a, new Date(now.getTime() - 5_000)]])));
    expect((await row(a)).lastSeenAt).toEqual(now);
  });

  it("brings a node the sweep marked offline back online, and tells the views once", async () => {
    const changes: FleetChange[] = [];
    const listener = await listen(t.url, CHANGES_CHANNEL, {
      schema: changeSchema,
      onMessage: (change) => changes.push(change as FleetChange),
      log: () => {},
    });
    try {
      const swept = await nodeRow("offline");
      const online = await nodeRow("online");
      const back = await t.db.$transaction((tx) =>
        recordPresence(
          tx,
          new Map([
            [swept, new Date()],
            [online, new Date()],
          ]),
        ),
      );
      expect(back).toBe(1);
      expect((await row(swept)).status).toBe("online");
      const deadline = Date.now() + 5_000;
      while (!changes.some((c) => c.entity === "node" && c.id === swept) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(changes.filter((c) => c.entity === "node" && (c.id === swept || c.id === online))).toEqual([
        { entity: "node", id: swept, what: "online", status: "online" },
      ]);
    } finally {
      await listener.close();
    }
  });

  it("does not undo a change made after the heartbeat arrived (a shutdown signal, a closed connection)", async () => {
    const heardAt = new Date(Date.now() - 2_000);
    // Marked offline (its connection ended) after the heartbeat was heard, before it was written.
    const closed = await nodeRow("offline", new Date(heardAt.getTime() + 500));
    // logind's signal stored after the heartbeat was heard.
    const signalled = await nodeRow("rebooting", new Date(heardAt.getTime() + 500));
    // A signal stored long before: the agent is still, or again, connected.
    const connected = await nodeRow("rebooting", new Date(heardAt.getTime() - 60_000));
    await t.db.$transaction((tx) =>
      recordPresence(
        tx,
        new Map([
          [closed, heardAt],
          [signalled, heardAt],
          [connected, heardAt],
        ]),
      ),
    );
    expect((await row(closed)).status).toBe("offline");
    expect((await row(closed)).lastSeenAt).toEqual(heardAt);
    expect((await row(signalled)).status).toBe("rebooting");
    expect((await row(connected)).status).toBe("online");
  });
});

describe("the gateway's presence writer", () => {
  it("writes heartbeats in batches, not one transaction each, and writes the last ones when control stops", async () => {
    // Never written by the timer within the test: only the stop can write them.
    const control = await startGateway(t.db, t.url, { presenceWriteMs: 3_600_000 });
    const nodes: Array<{ nodeId: string; agent: Awaited<ReturnType<typeof connect>> }> = [];
    for (let i = 0; i < 3; i++) {
      const machineId = machineIdOf(counter++);
      const { body } = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: `hb-${i}` });
      const agent = await connect(control.url, body.credential);
      agent.hello(machineId);
      await agent.next("welcome");
      nodes.push({ nodeId: body.nodeId!, agent });
    }
    const ids = nodes.map((n) => n.nodeId);
    await t.db.node.updateMany({ where: { id: { in: ids } }, data: { lastSeenAt: LONG_AGO } });
    for (const { agent } of nodes) agent.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: "1" });
    const deadline = Date.now() + 5_000;
    while (control.gateway.presence.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(control.gateway.presence.size).toBe(3);
    // Heard, not yet written.
    const before = await t.db.node.findMany({ where: { id: { in: ids } }, select: { lastSeenAt: true } });
    expect(before.map((n) => n.lastSeenAt)).toEqual([LONG_AGO, LONG_AGO, LONG_AGO]);
    const stoppedAt = Date.now();
    await control.close();
    const after = await t.db.node.findMany({ where: { id: { in: ids } }, select: { lastSeenAt: true } });
    for (const { lastSeenAt } of after) {
      expect(lastSeenAt!.getTime()).toBeGreaterThan(stoppedAt - 10_000);
      expect(lastSeenAt!.getTime()).toBeLessThanOrEqual(stoppedAt);
    }
  });

  it("keeps the heartbeats of a failed write for the next one", async () => {
    const id = await nodeRow("online");
    let failures = 1;
    // The database refuses the first write (as during a restart), then takes the next.
    const flaky = new Proxy(t.db, {
      get(target, key) {
        if (key === "$transaction" && failures > 0) {
          failures -= 1;
          return () => Promise.reject(new Error("Can't reach database server"));
        }
        return Reflect.get(target, key);
      },
    });
    const lines: string[] = [];
    const writer = new PresenceWriter(flaky, { intervalMs: 3_600_000, log: (line) => lines.push(line) });
    const heard = new Date();
    writer.seen(id, heard);
    await writer.flush();
    expect(lines).toEqual([
      "writing 1 nodes' heartbeats failed (kept for the next write): Can't reach database server",
    ]);
    expect(writer.size).toBe(1);
    expect((await row(id)).lastSeenAt).toEqual(LONG_AGO);
    await writer.close();
    expect(writer.size).toBe(0);
    expect((await row(id)).lastSeenAt).toEqual(heard);
  });
});
