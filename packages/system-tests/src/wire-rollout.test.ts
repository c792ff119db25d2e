import { createRollout } from "@softfleet/fleet";
import type { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { wireFleetOnline } from "@softfleet/testkit/fleet-fixtures";
import { rolloutReaches } from "@softfleet/testkit/rollouts";
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
    const fleet = await wireFleetOnline(t.db, control.url, 12, "wire", { downtimeMs: { min: 200, max: 600 } });
    pool = fleet.pool;
    const { specs, group, user } = fleet;
    const plan = {
      canary: null,
      batch: { size: 4 },
      maxUnavailable: 4,
      settleSec: 0,
      targetImageVersion: "2",
      gate: { returnTimeoutSec: 60 },
      failureThreshold: { percent: 0 },
    };
    const { rollout } = await t.db.$transaction((tx) => createRollout(tx, { groupId: group.id, plan, user }));
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
