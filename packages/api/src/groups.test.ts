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
      memberCount: number;
    };
    expect(detail).toMatchObject({ name: "edge-eu", memberCount: 2 });
    const members = (await api.call("groups.members", { groupId: group.id }, { cookie })).data as {
      rows: Array<{ hostname: string }>;
    };
    expect(members.rows.map((m) => m.hostname)).toEqual(["edge-a", "edge-b"]);

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

describe("a group's nodes, a page at a time", () => {
  let groupId: string;
  /** 60 nodes, gp-01..gp-60: 01-30 are members; 55-60 are labelled tier=web, 60 of them revoked. */
  beforeAll(async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const name = `gp-${String(i).padStart(2, "0")}`;
      const created = await t.db.node.create({
        data: {
          machineId: name.padEnd(32, "9"),
          hostname: name,
          labels: i >= 55 ? { tier: "web" } : {},
          revokedAt: i === 60 ? new Date() : null,
        },
      });
      ids.push(created.id);
    }
    groupId = ((await api.call("groups.create", { name: "paged" }, { cookie })).data as { id: string }).id;
    await api.call("groups.addMembers", { groupId, nodeIds: ids.slice(0, 30) }, { cookie });
  });

  it("pages members by hostname, and finds them by part of it", async () => {
    const second = (await api.call("groups.members", { groupId, page: 2, pageSize: 25 }, { cookie })).data as {
      rows: Array<{ hostname: string; addedAt: Date }>;
      matching: number;
    };
    expect(second.matching).toBe(30);
    expect(second.rows.map((r) => r.hostname)).toEqual(["gp-26", "gp-27", "gp-28", "gp-29", "gp-30"]);
    expect(second.rows[0]!.addedAt).toBeInstanceOf(Date);
    const found = (await api.call("groups.members", { groupId, q: "P-1" }, { cookie })).data as {
      rows: Array<{ hostname: string }>;
      matching: number;
    };
    expect(found.matching).toBe(10);
    expect(found.rows.map((r) => r.hostname)).toContain("gp-10");
    // LIKE's own characters are looked for as themselves.
    const literal = (await api.call("groups.members", { groupId, q: "gp_%" }, { cookie })).data as {
      matching: number;
    };
    expect(literal.matching).toBe(0);
  });

  it("offers as candidates only nodes that are neither members nor revoked", async () => {
    const page = (await api.call("groups.candidates", { groupId, q: "gp-", pageSize: 50 }, { cookie })).data as {
      rows: Array<{ hostname: string }>;
      matching: number;
      candidates: number;
    };
    expect(page.matching).toBe(29);
    expect(page.rows[0]!.hostname).toBe("gp-31");
    expect(page.rows.map((r) => r.hostname)).not.toContain("gp-60");
    expect(page.candidates).toBeGreaterThanOrEqual(29);
  });

  it("counts the label selector's matches, revoked nodes left out, and names the first ones", async () => {
    const none = (await api.call("groups.selectorMatches", { groupId }, { cookie })).data;
    expect(none).toEqual({ count: 0, first: [] });
    await api.call("groups.setLabelSelector", { groupId, labelSelector: { tier: "web" } }, { cookie });
    const matches = (await api.call("groups.selectorMatches", { groupId }, { cookie })).data as {
      count: number;
      first: Array<{ hostname: string }>;
    };
    expect(matches.count).toBe(5);
    expect(matches.first.map((n) => n.hostname)).toEqual(["gp-55", "gp-56", "gp-57", "gp-58", "gp-59"]);
  });

  it("refuses a page size it does not offer and an unknown group, saying which", async () => {
    const size = await api.call("groups.members", { groupId, pageSize: 10_000 }, { cookie });
    expect(size.error?.message).toContain("the page size must be 25, 50 or 100");
    const unknown = await api.call("groups.candidates", { groupId: "no-such-group" }, { cookie });
    expect(unknown.error?.message).toBe("Group no-such-group does not exist");
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
