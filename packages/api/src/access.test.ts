import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, procedures, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
});
afterAll(() => t.drop());

// Subscriptions answer over Server-Sent Events; live.test.ts checks them.
const all = procedures().filter((p) => p.type !== "subscription");
const PUBLIC = ["auth.me", "auth.login"];
/** What every signed-in user may do to their own account. */
const SELF_SERVICE = ["auth.login", "auth.logout", "auth.changePassword", "tokens.create", "tokens.revoke"];
const ADMIN_ONLY = all
  .filter(
    (p) =>
      /^(users|enrollment|webhooks)\./.test(p.path) ||
      ["nodes.revoke", "nodes.delete", "nodes.allowReenrollment", "tokens.listAll"].includes(p.path),
  )
  .map((p) => p.path);

async function snapshot() {
  const [audit, users, groups, members, sessions] = await Promise.all([
    t.db.auditEntry.count(),
    t.db.user.findMany({ orderBy: { id: "asc" } }),
    t.db.nodeGroup.findMany({ orderBy: { id: "asc" } }),
    t.db.nodeGroupMember.count(),
    t.db.session.count(),
  ]);
  return { audit, users, groups, members, sessions };
}

describe("without a session", () => {
  it.each(all.filter((p) => !PUBLIC.includes(p.path)).map((p) => p.path))("%s is UNAUTHORIZED", async (path) => {
    const result = await api.call(path, {});
    expect(result.status).toBe(401);
    expect(result.error?.data.code).toBe("UNAUTHORIZED");
    expect(result.error?.message).toMatch(/log in/i);
  });

  it("auth.me answers null", async () => {
    expect((await api.call("auth.me")).data).toBeNull();
  });
});

describe("as a viewer", () => {
  const mutations = all.filter((p) => p.type === "mutation" && !SELF_SERVICE.includes(p.path)).map((p) => p.path);

  it("self-service is limited to logging in and out, changing one's password and one's API tokens", () => {
    expect(
      all
        .filter((p) => p.type === "mutation" && SELF_SERVICE.includes(p.path))
        .map((p) => p.path)
        .sort(),
    ).toEqual([...SELF_SERVICE].sort());
  });

  it.each(mutations)("%s is FORBIDDEN and changes nothing", async (path) => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const group = await t.db.nodeGroup.create({ data: { name: `g-${Math.random().toString(36).slice(2)}` } });
    const before = await snapshot();
    // Input is valid-looking but irrelevant: the role is checked before the input.
    const result = await api.call(path, { groupId: group.id, name: "x", userId: "u", nodeIds: ["n"] }, { cookie });
    expect(result.status).toBe(403);
    expect(result.error?.data.code).toBe("FORBIDDEN");
    expect(result.error?.message).toMatch(/needs the (operator|admin) role; you are signed in as a viewer/);
    expect(await snapshot()).toEqual(before);
  });

  it("reads nodes and groups", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    for (const [path, input] of [
      ["nodes.page", {}],
      ["groups.list", undefined],
    ] as const) {
      const result = await api.call(path, input, { cookie });
      expect(result.error, path).toBeUndefined();
    }
  });

  it("does not read the audit log (it names sources, machines and refusals)", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    for (const path of ["audit.list", "audit.actions"]) {
      const result = await api.call(path, path === "audit.list" ? {} : undefined, { cookie });
      expect(result.error?.data.code, path).toBe("FORBIDDEN");
    }
    const operator = await signedInUser(t.db, "operator");
    expect((await api.call("audit.list", {}, { cookie: operator.cookie })).error).toBeUndefined();
  });

  it("does not see machine ids (with any token they once sufficed to take a node over)", async () => {
    const node = await t.db.node.create({
      data: { machineId: "c0ffee00c0ffee00c0ffee00c0ffee00", hostname: "secret-machine", status: "offline" },
    });
    const viewer = await signedInUser(t.db, "viewer");
    const operator = await signedInUser(t.db, "operator");
    const listed = await api.call("nodes.page", { q: "secret-machine" }, { cookie: viewer.cookie });
    expect((listed.data as { rows: Array<{ id: string }> }).rows.map((n) => n.id)).toEqual([node.id]);
    expect(JSON.stringify(listed.data)).not.toContain(node.machineId);
    const one = await api.call("nodes.get", { id: node.id }, { cookie: viewer.cookie });
    expect((one.data as { machineId: string | null }).machineId).toBeNull();
    expect(JSON.stringify(one.data)).not.toContain(node.machineId);
    const seen = await api.call("nodes.get", { id: node.id }, { cookie: operator.cookie });
    expect((seen.data as { machineId: string }).machineId).toBe(node.machineId);
  });
});

describe("as an operator", () => {
  it.each(ADMIN_ONLY)("%s is FORBIDDEN (admins manage users)", async (path) => {
    const { cookie } = await signedInUser(t.db, "operator");
    const result = await api.call(path, {}, { cookie });
    expect(result.error?.data.code).toBe("FORBIDDEN");
    expect(result.error?.message).toContain("needs the admin role");
  });

  it("manages groups", async () => {
    const { cookie } = await signedInUser(t.db, "operator");
    const result = await api.call("groups.create", { name: "operators-group" }, { cookie });
    expect(result.error).toBeUndefined();
  });
});
