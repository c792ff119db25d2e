import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokenHash } from "./auth/api-token";
import { MAX_ACTIVE_TOKENS } from "./domain/api-tokens";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
});
afterAll(() => t.drop());

async function newToken(cookie: string, input: { name: string; role: string; expiresInDays?: number }) {
  const result = await api.call("tokens.create", { expiresInDays: 30, ...input }, { cookie });
  if (result.error) throw new Error(result.error.message);
  return result.data as { token: string; id: string; prefix: string; role: string; expiresAt: Date };
}

describe("personal API tokens", () => {
  it("are shown once, stored only as a hash, and act as their user", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const created = await newToken(cookie, { name: "ci deploy", role: "operator" });
    expect(created.token).toMatch(/^sfp_[\w-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const row = await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(apiTokenHash(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    // The list never carries the secret again.
    const list = await api.call("tokens.list", undefined, { cookie });
    expect(JSON.stringify(list.data)).not.toContain(created.token);
    expect(list.data).toMatchObject([{ id: created.id, name: "ci deploy", prefix: created.prefix }]);

    const me = await api.call("auth.me", undefined, { bearer: created.token });
    expect(me.data).toMatchObject({ id: user.id, username: user.username, role: "operator" });
    expect((await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt).not.toBeNull();
  });

  it("audits a change made with a token as its user, via the token", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const { token } = await newToken(cookie, { name: "pipeline", role: "operator" });
    const result = await api.call("groups.create", { name: "via-token-group", description: "" }, { bearer: token });
    expect(result.error).toBeUndefined();
    const entry = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "group.created" },
      orderBy: { id: "desc" },
    });
    expect(entry).toMatchObject({
      actorType: "user",
      actorUserId: user.id,
      actorName: user.username,
      via: "token pipeline",
    });
    const created = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "token.created", actorUserId: user.id },
    });
    expect(created.via).toBeNull();
  });

  it("cannot carry a role above its user's, at creation or after the user is demoted", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const refused = await api.call("tokens.create", { name: "too much", role: "admin", expiresInDays: 7 }, { cookie });
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toMatch(/at most your own \(operator\)/);
    expect(await t.db.apiToken.count({ where: { userId: user.id } })).toBe(0);

    const { token } = await newToken(cookie, { name: "ops", role: "operator" });
    await t.db.user.update({ where: { id: user.id }, data: { role: "viewer" } });
    const me = await api.call("auth.me", undefined, { bearer: token });
    expect(me.data).toMatchObject({ role: "viewer" });
    const change = await api.call("groups.create", { name: "demoted-group", description: "" }, { bearer: token });
    expect(change.status).toBe(403);
    expect(await t.db.nodeGroup.count({ where: { name: "demoted-group" } })).toBe(0);
  });

  it("a viewer token cannot change anything, even for an admin", async () => {
    const { cookie } = await signedInUser(t.db, "admin");
    const { token } = await newToken(cookie, { name: "read only", role: "viewer" });
    expect((await api.call("nodes.page", {}, { bearer: token })).status).toBe(200);
    const change = await api.call("groups.create", { name: "viewer-token-group", description: "" }, { bearer: token });
    expect(change.status).toBe(403);
    expect(change.error?.message).toMatch(/you are signed in as a viewer/);
  });

  it("refuses an expired, a revoked, an unknown and a malformed token, each saying which, and changes nothing", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const expired = await newToken(cookie, { name: "old", role: "operator" });
    await t.db.apiToken.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const revoked = await newToken(cookie, { name: "leaked", role: "operator" });
    const revoke = await api.call("tokens.revoke", { id: revoked.id }, { cookie });
    expect(revoke.error).toBeUndefined();

    const cases: Array<[string, RegExp]> = [
      [`Bearer ${expired.token}`, /API token "old" expired on \d{4}-/],
      [`Bearer ${revoked.token}`, /API token "leaked" was revoked on \d{4}-/],
      [`Bearer sfp_${"x".repeat(43)}`, /Unknown API token/],
      ["Bearer not-ours", /not a softfleet API token/],
      ["Basic dXNlcjpwYXNz", /must be 'Bearer <API token>'/],
    ];
    for (const [header, message] of cases) {
      const before = await t.db.nodeGroup.count();
      const result = await api.call(
        "groups.create",
        { name: `g-${Math.random()}`, description: "" },
        { bearer: header },
      );
      expect(result.status, header).toBe(401);
      expect(result.error?.message, header).toMatch(message);
      expect(await t.db.nodeGroup.count()).toBe(before);
      const me = await api.call("rollouts.list", {}, { bearer: header });
      expect(me.status).toBe(401);
    }
    // A cookie does not rescue a request whose token is refused: the token was meant.
    const both = await api.call("nodes.page", {}, { bearer: revoked.token, cookie });
    expect(both.status).toBe(401);
    const revokedEntry = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "token.revoked", targetId: revoked.id },
    });
    expect(revokedEntry.actorUserId).toBe(user.id);
  });

  it("stops working when its user is disabled", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const { token } = await newToken(cookie, { name: "svc", role: "viewer" });
    await t.db.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    const result = await api.call("nodes.page", {}, { bearer: token });
    expect(result.status).toBe(401);
    expect(result.error?.message).toMatch(/disabled user/);
  });

  it("cannot mint tokens, change the password or log out: those need the browser login", async () => {
    const { user, cookie } = await signedInUser(t.db, "admin");
    const { token } = await newToken(cookie, { name: "automation", role: "admin" });
    for (const [path, input] of [
      ["tokens.create", { name: "child", role: "admin", expiresInDays: 366 }],
      ["auth.changePassword", { currentPassword: "x", newPassword: "a much longer password" }],
      ["auth.logout", undefined],
    ] as const) {
      const result = await api.call(path, input, { bearer: token });
      expect(result.status, path).toBe(403);
      expect(result.error?.message).toMatch(/An API token cannot create tokens/);
    }
    expect(await t.db.apiToken.count({ where: { userId: user.id } })).toBe(1);
  });

  it("validates name, role and expiry, with the field named", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    for (const [input, field] of [
      [{ name: "", role: "viewer", expiresInDays: 7 }, "name"],
      [{ name: "x".repeat(65), role: "viewer", expiresInDays: 7 }, "name"],
      [{ name: "bad\nname", role: "viewer", expiresInDays: 7 }, "name"],
      [{ name: "ok", role: "root", expiresInDays: 7 }, "role"],
      [{ name: "ok", role: "viewer", expiresInDays: 0 }, "expiresInDays"],
      [{ name: "ok", role: "viewer", expiresInDays: 400 }, "expiresInDays"],
    ] as const) {
      const result = await api.call("tokens.create", input, { cookie });
      expect(result.status).toBe(400);
      expect(Object.keys(result.error?.data.fieldErrors ?? {})).toContain(field);
    }
  });

  it("keeps names unique among live tokens and caps how many a user holds", async () => {
    const { user, cookie } = await signedInUser(t.db, "viewer");
    await newToken(cookie, { name: "same", role: "viewer" });
    const twice = await api.call("tokens.create", { name: "same", role: "viewer", expiresInDays: 1 }, { cookie });
    expect(twice.status).toBe(409);
    expect(twice.error?.message).toMatch(/already have a live token named "same"/);
    for (let i = 1; i < MAX_ACTIVE_TOKENS; i++) await newToken(cookie, { name: `t${i}`, role: "viewer" });
    const over = await api.call("tokens.create", { name: "one more", role: "viewer", expiresInDays: 1 }, { cookie });
    expect(over.status).toBe(409);
    expect(over.error?.message).toMatch(/most allowed; revoke one first/);
    expect(await t.db.apiToken.count({ where: { userId: user.id } })).toBe(MAX_ACTIVE_TOKENS);
  });

  it("only its owner or an admin can revoke a token", async () => {
    const owner = await signedInUser(t.db, "operator");
    const other = await signedInUser(t.db, "operator");
    const admin = await signedInUser(t.db, "admin");
    const { id, token } = await newToken(owner.cookie, { name: "mine", role: "viewer" });
    const stranger = await api.call("tokens.revoke", { id }, { cookie: other.cookie });
    expect(stranger.status).toBe(404);
    expect((await api.call("nodes.page", {}, { bearer: token })).status).toBe(200);
    const all = await api.call("tokens.listAll", undefined, { cookie: admin.cookie });
    expect(all.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ id, user: { username: owner.user.username } })]),
    );
    expect((await api.call("tokens.revoke", { id }, { cookie: admin.cookie })).error).toBeUndefined();
    expect((await api.call("nodes.page", {}, { bearer: token })).status).toBe(401);
    const again = await api.call("tokens.revoke", { id }, { cookie: owner.cookie });
    expect(again.status).toBe(409);
  });
});
