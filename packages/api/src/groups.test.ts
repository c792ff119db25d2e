import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let cookie: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  cookie = (await signedInUser(t.db, "operator", "the-operator")).cookie;
});
afterAll(() => t.drop());

async function node(hostname: string) {
  return t.db.node.create({ data: { machineId: hostname.padEnd(32, "0"), hostname } });
}

describe("node groups", () => {
  it("are created, renamed, given members and deleted, each step in the audit log", async () => {
    const created = await api.call("groups.create", { name: "edge", description: "edge proxies" }, { cookie });
    const group = created.data as { id: string };
    const [a, b] = [await node("edge-a"), await node("edge-b")];
    await api.call("groups.addMembers", { groupId: group.id, nodeIds: [a.id, b.id, a.id] }, { cookie });
    await api.call("groups.rename", { groupId: group.id, name: "edge-eu" }, { cookie });
    const detail = (await api.call("groups.get", { id: group.id }, { cookie })).data as {
      name: string;
      members: Array<{ node: { hostname: string } }>;
    };
    expect(detail.name).toBe("edge-eu");
    expect(detail.members.map((m) => m.node.hostname)).toEqual(["edge-a", "edge-b"]);

    const listed = (await api.call("groups.list", undefined, { cookie })).data as Array<{
      name: string;
      _count: { members: number };
    }>;
    expect(listed.find((g) => g.name === "edge-eu")?._count.members).toBe(2);

    await api.call("groups.removeMembers", { groupId: group.id, nodeIds: [a.id] }, { cookie });
    await api.call("groups.delete", { groupId: group.id }, { cookie });
    expect(await t.db.nodeGroup.findUnique({ where: { id: group.id } })).toBeNull();
    // Nodes outlive their groups.
    expect(await t.db.node.count({ where: { id: { in: [a.id, b.id] } } })).toBe(2);

    const trail = await t.db.auditEntry.findMany({ where: { targetId: group.id }, orderBy: { id: "asc" } });
    expect(trail.map((e) => e.action)).toEqual([
      "group.created",
      "group.members_added",
      "group.renamed",
      "group.members_removed",
      "group.deleted",
    ]);
    expect(trail[2]!.details).toEqual({ from: "edge", to: "edge-eu" });
  });

  it("refuses a duplicate name and unknown nodes, naming what is wrong", async () => {
    await api.call("groups.create", { name: "db" }, { cookie });
    const duplicate = await api.call("groups.create", { name: "db" }, { cookie });
    expect(duplicate.error?.message).toBe('name: a group called "db" already exists');
    const group = (await api.call("groups.create", { name: "cache" }, { cookie })).data as { id: string };
    const unknown = await api.call("groups.addMembers", { groupId: group.id, nodeIds: ["no-such-node"] }, { cookie });
    expect(unknown.error?.data.code).toBe("NOT_FOUND");
    expect(unknown.error?.message).toBe("Node no-such-node does not exist");
    const missing = await api.call("groups.rename", { groupId: "no-such-group", name: "x1" }, { cookie });
    expect(missing.error?.message).toBe("Group no-such-group does not exist");
  });
});

describe("the audit log", () => {
  it("filters by action, actor and target, newest first, page by page", async () => {
    const admin = await signedInUser(t.db, "admin", "auditor");
    for (const name of ["f1", "f2", "f3"]) await api.call("groups.create", { name }, { cookie: admin.cookie });
    const byActor = (await api.call("audit.list", { actor: "auditor", action: "group." }, { cookie })).data as {
      entries: Array<{ targetName: string; actorName: string }>;
    };
    expect(byActor.entries.map((e) => e.targetName)).toEqual(["f3", "f2", "f1"]);

    const page1 = (await api.call("audit.list", { actor: "auditor", action: "group.", limit: 2 }, { cookie })).data as {
      entries: Array<{ targetName: string }>;
      nextCursor?: string;
    };
    expect(page1.entries.map((e) => e.targetName)).toEqual(["f3", "f2"]);
    const page2 = (
      await api.call(
        "audit.list",
        { actor: "auditor", action: "group.", limit: 2, cursor: page1.nextCursor },
        { cookie },
      )
    ).data as { entries: Array<{ targetName: string }>; nextCursor?: string };
    expect(page2.entries.map((e) => e.targetName)).toEqual(["f1"]);
    expect(page2.nextCursor).toBeUndefined();

    const byTarget = (await api.call("audit.list", { target: "F2" }, { cookie })).data as { entries: unknown[] };
    expect(byTarget.entries).toHaveLength(1);
    const future = (await api.call("audit.list", { from: new Date(Date.now() + 60_000) }, { cookie })).data as {
      entries: unknown[];
    };
    expect(future.entries).toHaveLength(0);
  });
});
