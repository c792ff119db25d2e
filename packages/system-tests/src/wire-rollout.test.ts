import { createRollout } from "@softfleet/fleet";
import { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { rolloutReaches, until } from "@softfleet/testkit/rollouts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TestDatabase;
let control: TestControl;
let pool: WirePool | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t);
});
afterAll(async () => {
  pool?.stop();
  await control?.stop();
  await t?.drop();
});

describe("wire-level agents that soft-reboot", () => {
  it("go through a rollout to a new image as hosts do: judged by the engine's gate, their records stored", async () => {
    const specs = await provisionNodes(t.db, 12);
    pool = new WirePool(specs, {
      controlUrl: control.url,
      commands: "reboot",
      staged: "2",
      downtimeMs: { min: 200, max: 600 },
    });
    await pool.start();
    await until(
      "every node online with version 2 staged",
      async () => (await t.db.node.count({ where: { status: "online", nextrootImageVersion: "2" } })) === 12,
    );
    const group = await t.db.nodeGroup.create({
      data: { name: "wire", members: { create: specs.map((s) => ({ nodeId: s.nodeId })) } },
    });
    const user = await t.db.user.create({
      data: { username: "wire-op", displayName: "Wire", passwordHash: "-", role: "operator" },
    });
    const plan = {
      canary: null,
      batch: { size: 4 },
      maxUnavailable: 4,
      settleSec: 0,
      targetImageVersion: "2",
      gate: { returnTimeoutSec: 60 },
      failureThreshold: { percent: 0 },
    };
    const { rollout } = await t.db.$transaction((tx) =>
      createRollout(tx, { groupId: group.id, plan, user: { id: user.id, name: user.username } }),
    );
    await rolloutReaches(t.db, rollout.id, "completed");
    const nodes = await t.db.rolloutNode.findMany({ where: { rolloutId: rollout.id } });
    expect(nodes.map((n) => n.status)).toEqual(Array(12).fill("succeeded"));
    // Each node: one soft-reboot, the same boot, the new image, attributed to the rollout's command.
    const records = await t.db.rebootRecord.findMany({ where: { nodeId: { in: specs.map((s) => s.nodeId) } } });
    expect(records).toHaveLength(12);
    for (const record of records) {
      expect(record).toMatchObject({ kind: "soft-reboot", trigger: "rollout", imageVersionAfter: "2" });
      expect(record.bootIdBefore).toBe(record.bootIdAfter);
      expect(record.softRebootsCountAfter).toBe(1);
    }
    expect(await t.db.node.count({ where: { imageVersion: "2", softRebootsCount: 1, status: "online" } })).toBe(12);
  }, 180_000);
});
