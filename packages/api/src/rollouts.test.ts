import { stepRollout } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
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

describe("a node held by a block inhibitor", () => {
  const backup = {
    what: "shutdown:sleep",
    who: "backup-job",
    why: "nightly backup running",
    mode: "block",
    uid: 0,
    pid: 4242,
  };
  const agentLock = { what: "shutdown", who: "softfleet-agent", why: "report", mode: "delay", uid: 0, pid: 77 };

  it("waits with who holds it, and an operator's audited override reboots it past the lock", async () => {
    const g = await group(1);
    const [member] = await t.db.nodeGroupMember.findMany({ where: { groupId: g.id } });
    const nodeId = member!.nodeId;
    await t.db.node.update({ where: { id: nodeId }, data: { inhibitor: "held", inhibitors: [agentLock, backup] } });
    const created = await api.call("rollouts.create", { groupId: g.id, plan: { canary: null } }, { cookie });
    const id = (created.data as { id: string }).id;
    await t.db.$transaction((tx) => stepRollout(tx, id));

    let rn = await t.db.rolloutNode.findUniqueOrThrow({ where: { rolloutId_nodeId: { rolloutId: id, nodeId } } });
    expect(rn).toMatchObject({ status: "pending", blockedBy: "backup-job (pid 4242): nightly backup running" });
    expect(rn.blockedSince).toBeInstanceOf(Date);
    expect(await t.db.nodeCommand.count({ where: { nodeId } })).toBe(0);
    const page = await api.call("rollouts.get", { id }, { cookie });
    expect((page.data as { nodes: { blockedBy: string | null }[] }).nodes[0]?.blockedBy).toContain("backup-job");

    // A viewer may not override; an operator may, and it is audited with who held the node.
    const viewer = (await signedInUser(t.db, "viewer")).cookie;
    const denied = await api.call("rollouts.skipInhibitors", { id, nodeId }, { cookie: viewer });
    expect(denied.error?.data.code).toBe("FORBIDDEN");
    const skipped = await api.call("rollouts.skipInhibitors", { id, nodeId }, { cookie });
    expect(skipped.error).toBeUndefined();
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "rollout.inhibitors_skipped", targetId: id },
    });
    expect(audit.details).toMatchObject({ nodeId, blockedBy: "backup-job (pid 4242): nightly backup running" });

    // The next step commands the reboot, asking logind to skip the lock.
    await t.db.$transaction((tx) => stepRollout(tx, id));
    rn = await t.db.rolloutNode.findUniqueOrThrow({ where: { rolloutId_nodeId: { rolloutId: id, nodeId } } });
    expect(rn).toMatchObject({ status: "rebooting", blockedSince: null, blockedBy: null });
    const command = await t.db.nodeCommand.findUniqueOrThrow({ where: { id: rn.commandId! } });
    expect(command.skipInhibitors).toBe(true);
    // Once rebooting, there is nothing left to skip.
    const late = await api.call("rollouts.skipInhibitors", { id, nodeId }, { cookie });
    expect(late.error?.data.code).toBe("CONFLICT");
    expect(late.error?.message).toContain("inhibitors can be skipped only for a node still waiting");
  });

  it("fails a node still held when the plan's timeout is up, naming who held it", async () => {
    const g = await group(1);
    const [member] = await t.db.nodeGroupMember.findMany({ where: { groupId: g.id } });
    const nodeId = member!.nodeId;
    await t.db.node.update({ where: { id: nodeId }, data: { inhibitor: "held", inhibitors: [backup] } });
    const plan = { canary: null, blockedTimeoutSec: 30, failureThreshold: { count: 1 } };
    const id = ((await api.call("rollouts.create", { groupId: g.id, plan }, { cookie })).data as { id: string }).id;
    const t0 = new Date();
    await t.db.$transaction((tx) => stepRollout(tx, id, t0));
    await t.db.$transaction((tx) => stepRollout(tx, id, new Date(t0.getTime() + 31_000)));
    const rn = await t.db.rolloutNode.findUniqueOrThrow({ where: { rolloutId_nodeId: { rolloutId: id, nodeId } } });
    expect(rn.status).toBe("failed");
    expect(rn.reason).toBe("held by block inhibitors for 30 s: backup-job (pid 4242): nightly backup running");
  });
});

describe("the rollout page", () => {
  it("carries one page of the nodes, in the batches' order, with the counts of all of them", async () => {
    const g = await group(120);
    const created = await api.call(
      "rollouts.create",
      { groupId: g.id, plan: { canary: { count: 1 }, batch: { size: 40 } } },
      { cookie },
    );
    const id = (created.data as { id: string }).id;
    // Ten nodes failed, five succeeded (as the engine would have left them).
    const all = await t.db.rolloutNode.findMany({ where: { rolloutId: id }, orderBy: { position: "asc" } });
    await t.db.rolloutNode.updateMany({
      where: { rolloutId: id, nodeId: { in: all.slice(60, 70).map((n) => n.nodeId) } },
      data: { status: "failed", reason: "did not come back" },
    });
    await t.db.rolloutNode.updateMany({
      where: { rolloutId: id, nodeId: { in: all.slice(0, 5).map((n) => n.nodeId) } },
      data: { status: "succeeded" },
    });
    type View = {
      nodes: Array<{ hostname: string; batchIndex: number; status: string }>;
      matching: number;
      counts: { total: number; failed: number; succeeded: number };
      batches: Array<{ index: number; counts: { total: number; failed: number } }>;
    };
    const second = (await api.call("rollouts.get", { id, page: 2, pageSize: 50 }, { cookie })).data as View;
    expect(second.matching).toBe(120);
    expect(second.nodes.map((n) => n.hostname)).toEqual(all.slice(50, 100).map((n) => n.hostname));
    expect(second.counts).toMatchObject({ total: 120, failed: 10, succeeded: 5 });
    expect(second.batches.map((b) => [b.index, b.counts.total, b.counts.failed])).toEqual([
      [0, 1, 0],
      [1, 40, 0],
      [2, 40, 10],
      [3, 39, 0],
    ]);

    const failed = (await api.call("rollouts.get", { id, status: "failed" }, { cookie })).data as View;
    expect(failed.matching).toBe(10);
    expect(failed.nodes.map((n) => n.hostname)).toEqual(all.slice(60, 70).map((n) => n.hostname));
    expect(failed.counts.total).toBe(120);

    const wrong = await api.call("rollouts.get", { id, status: "exploded", pageSize: 7 }, { cookie });
    expect(wrong.error?.data.code).toBe("BAD_REQUEST");
    expect(wrong.error?.message).toContain("the page size must be 25, 50, 100 or 200");
  });
});
