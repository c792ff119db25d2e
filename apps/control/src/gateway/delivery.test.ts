import { commandsToSend, requestSoftReboot } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineIdOf } from "./testing";

let t: TestDatabase;
let counter = 11_000;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const node = async () =>
  (await t.db.node.create({ data: { machineId: machineIdOf(counter++), hostname: `d-${counter}`, status: "online" } }))
    .id;
const command = (nodeId: string) =>
  t.db.$transaction((tx) => requestSoftReboot(tx, { nodeId, requireNextroot: false, requestedById: null }));

describe("a connection's delivery, in one statement", () => {
  it("sends what waits, oldest first, once per connection, and again on a new connection until it is answered", async () => {
    const nodeId = await node();
    const first = await command(nodeId);
    const second = await command(nodeId);
    const delivery = await commandsToSend(t.db, nodeId, []);
    expect(delivery.send.map((c) => c.id)).toEqual([first.id, second.id]);
    expect(delivery.send[0]).toMatchObject({ type: "soft-reboot", requireNextroot: false });
    // The same connection: nothing new. A new connection: both again (neither was answered).
    expect((await commandsToSend(t.db, nodeId, [first.id, second.id])).send).toEqual([]);
    expect((await commandsToSend(t.db, nodeId, [])).send.map((c) => c.id)).toEqual([first.id, second.id]);
    expect((await t.db.nodeCommand.findUniqueOrThrow({ where: { id: first.id } })).status).toBe("sent");
  });

  it("expires what waited past its time, with the reason, and never sends it", async () => {
    const nodeId = await node();
    const old = await command(nodeId);
    const unanswered = await command(nodeId);
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    await t.db.nodeCommand.update({ where: { id: old.id }, data: { requestedAt: sixMinutesAgo } });
    await t.db.nodeCommand.update({
      where: { id: unanswered.id },
      data: { requestedAt: sixMinutesAgo, status: "sent" },
    });
    const fresh = await command(nodeId);
    const delivery = await commandsToSend(t.db, nodeId, []);
    expect(delivery.send.map((c) => c.id)).toEqual([fresh.id]);
    expect(delivery.waiting).toEqual([fresh.id]);
    expect(await t.db.nodeCommand.findUniqueOrThrow({ where: { id: old.id } })).toMatchObject({
      status: "expired",
      reason: "not delivered within 5 minutes (the node was offline)",
    });
    expect(await t.db.nodeCommand.findUniqueOrThrow({ where: { id: unanswered.id } })).toMatchObject({
      status: "expired",
      reason: "the agent did not answer within 5 minutes",
    });
  });
});
