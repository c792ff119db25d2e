import { createTestDatabase, type TestDatabase } from "@softfleet/stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let cookie: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  cookie = (await signedInUser(t.db, "operator")).cookie;
});
afterAll(() => t.drop());

const unique = () => Math.random().toString(36).slice(2, 8);

/** A group of `count` online nodes, with labels, statically and (optionally) by a label selector. */
async function group(count: number, labels: Record<string, string> = {}) {
  const g = await t.db.nodeGroup.create({ data: { name: `g-${unique()}` } });
  for (let i = 0; i < count; i++) {
    const node = await t.db.node.create({
      data: { machineId: unique().padEnd(32, "0"), hostname: `n-${unique()}`, status: "online", labels },
    });
    if (Object.keys(labels).length === 0)
      await t.db.nodeGroupMember.create({ data: { groupId: g.id, nodeId: node.id } });
  }
  return g;
}

async function refused(groupId: string, plan: unknown) {
  const before = await t.db.rollout.count();
  const result = await api.call("rollouts.create", { groupId, plan }, { cookie });
  expect(result.error?.data.code).toBe("BAD_REQUEST");
  expect(await t.db.rollout.count()).toBe(before);
  return { fields: Object.keys(result.error?.data.fieldErrors ?? {}), message: result.error?.message ?? "" };
}

describe("starting a rollout", () => {
  it("refuses impossible plans with a message naming the field, storing nothing", async () => {
    const four = await group(4);
    expect(await refused(four.id, { batch: { size: 0 } })).toMatchObject({
      fields: ["batch.size"],
      message: expect.stringContaining("batch size must be at least 1 node"),
    });
    expect(await refused(four.id, { maxUnavailable: 5 })).toMatchObject({
      fields: ["maxUnavailable"],
      message: expect.stringContaining("max unavailable (5) is above the group's 4 nodes"),
    });
    expect(
      await refused(four.id, { window: { days: [], start: "25:00", end: "02:00", timeZone: "Mars/Olympus" } }),
    ).toMatchObject({ fields: expect.arrayContaining(["window.days", "window.start", "window.timeZone"]) });
    expect(await refused("no-such-group", {})).toMatchObject({
      fields: ["group"],
      message: expect.stringContaining("the group does not exist"),
    });
    expect(await refused((await group(0)).id, {})).toMatchObject({
      fields: ["group"],
      message: expect.stringContaining("the group has no nodes"),
    });
  });

  it("refuses a rollout over nodes already in an unfinished one: two rollouts never reboot the same node", async () => {
    const g = await group(3);
    const plan = { canary: null, batch: { size: 1 } };
    const first = await api.call("rollouts.create", { groupId: g.id, plan }, { cookie });
    expect(first.error).toBeUndefined();
    const { fields, message } = await refused(g.id, plan);
    expect(fields).toEqual(["group"]);
    expect(message).toMatch(/already in the unfinished rollout of g-/);
    // Once it is aborted (nothing in flight: the engine does not run here) the nodes are free.
    const id = (first.data as { id: string }).id;
    expect((await api.call("rollouts.act", { id, action: "abort" }, { cookie })).error).toBeUndefined();
    await t.db.rolloutNode.updateMany({ where: { rolloutId: id }, data: { active: false } });
    expect((await api.call("rollouts.create", { groupId: g.id, plan }, { cookie })).error).toBeUndefined();
  });

  it("freezes the group's nodes, static and by label selector, into the planned batches", async () => {
    const g = await group(2);
    await group(3, { zone: `z-${g.id}` });
    await t.db.nodeGroup.update({ where: { id: g.id }, data: { labelSelector: { zone: `z-${g.id}` } } });
    const preview = (
      await api.call(
        "rollouts.preview",
        { groupId: g.id, plan: { canary: { count: 1 }, batch: { size: 2 } } },
        { cookie },
      )
    ).data as { nodes: unknown[]; batches: Array<{ kind: string; hostnames: string[] }>; issues: unknown[] };
    expect(preview.issues).toEqual([]);
    expect(preview.nodes).toHaveLength(5);
    expect(preview.batches.map((b) => [b.kind, b.hostnames.length])).toEqual([
      ["canary", 1],
      ["batch", 2],
      ["batch", 2],
    ]);
    const created = await api.call(
      "rollouts.create",
      { groupId: g.id, plan: { canary: { count: 1 }, batch: { size: 2 } } },
      { cookie },
    );
    const id = (created.data as { id: string }).id;
    const detail = (await api.call("rollouts.get", { id }, { cookie })).data as {
      status: string;
      nodes: Array<{ hostname: string; batchIndex: number; status: string }>;
      transitions: Array<{ to: string; actorName: string }>;
    };
    expect(detail.status).toBe("running");
    expect(detail.nodes.map((n) => [n.hostname, n.batchIndex])).toEqual(
      preview.batches.flatMap((b, index) => b.hostnames.map((h) => [h, index])),
    );
    expect(detail.transitions[0]).toMatchObject({ to: "running" });
    const audit = await t.db.auditEntry.findFirstOrThrow({ where: { action: "rollout.started", targetId: id } });
    expect(audit.details).toMatchObject({ nodes: 5, batches: 3 });
  });

  it("says why a user action is not allowed", async () => {
    const g = await group(2);
    const id = (
      (await api.call("rollouts.create", { groupId: g.id, plan: { canary: null } }, { cookie })).data as { id: string }
    ).id;
    const result = await api.call("rollouts.act", { id, action: "approve" }, { cookie });
    expect(result.error?.data.code).toBe("CONFLICT");
    expect(result.error?.message).toBe("cannot approve a running rollout");
  });
});
