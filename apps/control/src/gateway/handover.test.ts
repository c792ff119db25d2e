import { applyHello, markOffline } from "@softfleet/fleet";
import type { NodeIdentity, NodeState } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineIdOf } from "./testing";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const identity = (machineId: string): NodeIdentity => ({
  machineId,
  hostname: "handover",
  bootId: "4b4f9f0e-4f7b-4c1e-9a40-2b1c2d3e4f50",
  osRelease: { id: "debian", versionId: "13", imageId: null, imageVersion: "1" },
  systemdVersion: 257,
  agentVersion: "test",
  labels: {},
  simulated: true,
});
const state: NodeState = {
  softRebootsCount: 0,
  nextroot: { staged: false, imageVersion: null },
  units: [],
  monotonicUsec: "1",
  inhibitor: "held",
};

describe("a node that moves to another connection (another control process)", () => {
  it("is not marked offline by its old connection's end, handled after the new one's hello", async () => {
    const machineId = machineIdOf(12_345);
    const node = await t.db.node.create({ data: { machineId, hostname: "handover", status: "offline" } });
    const first = new Date(Date.now() - 2_000);
    const second = new Date(Date.now() - 1_000);
    await applyHello(t.db, node.id, identity(machineId), state, first);
    await applyHello(t.db, node.id, identity(machineId), state, second);
    // Process A handles its connection's end late, after B stored the node's new hello.
    await t.db.$transaction((tx) => markOffline(tx, node.id, first));
    expect((await t.db.node.findUniqueOrThrow({ where: { id: node.id } })).status).toBe("online");
    // B's connection ends: now the node is offline.
    await t.db.$transaction((tx) => markOffline(tx, node.id, second));
    expect((await t.db.node.findUniqueOrThrow({ where: { id: node.id } })).status).toBe("offline");
  });
});
