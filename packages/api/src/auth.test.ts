import { createTestDatabase, type TestDatabase } from "@softfleet/stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionIdOf } from "./auth/session";
import { apiClient, signedInUser, TEST_PASSWORD } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
});
afterAll(() => t.drop());

const tokenOf = (cookie: string) => cookie.split("=")[1]!;

describe("logging in", () => {
  it("sets an http-only session cookie that identifies the user", async () => {
    const { user } = await signedInUser(t.db, "operator", "olivia");
    const result = await api.call("auth.login", { username: "Olivia", password: TEST_PASSWORD });
    expect(result.error).toBeUndefined();
    const cookie = result.setCookies[0]!;
    expect(cookie).toMatch(/^softfleet_session=[\w-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    const me = await api.call("auth.me", undefined, { cookie: cookie.split(";")[0] });
    expect(me.data).toMatchObject({ id: user.id, username: "olivia", role: "operator" });
  });

  it("stores only a hash of the session token", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const token = tokenOf(cookie);
    expect(await t.db.session.findUnique({ where: { id: token } })).toBeNull();
    expect(await t.db.session.findUnique({ where: { id: sessionIdOf(token) } })).not.toBeNull();
  });

  it("refuses a wrong password with a clear message and records the attempt", async () => {
    await signedInUser(t.db, "viewer", "walter");
    const result = await api.call("auth.login", { username: "walter", password: "not his password" });
    expect(result.status).toBe(401);
    expect(result.error?.message).toBe("Wrong username or password");
    expect(result.setCookies).toEqual([]);
    const entry = await t.db.auditEntry.findFirst({ where: { action: "auth.login_failed" }, orderBy: { id: "desc" } });
    expect(entry).toMatchObject({ targetName: "walter", details: { username: "walter", reason: "wrong password" } });
  });

  it("refuses an unknown user with the same message, not revealing who exists", async () => {
    const result = await api.call("auth.login", { username: "nobody-here", password: TEST_PASSWORD });
    expect(result.status).toBe(401);
    expect(result.error?.message).toBe("Wrong username or password");
    const entry = await t.db.auditEntry.findFirst({ where: { action: "auth.login_failed" }, orderBy: { id: "desc" } });
    expect(entry).toMatchObject({ targetName: null, details: { username: "nobody-here", reason: "unknown user" } });
  });

  it("refuses a disabled account, saying so", async () => {
    const { user, cookie } = await signedInUser(t.db, "viewer");
    await t.db.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    const result = await api.call("auth.login", { username: user.username, password: TEST_PASSWORD });
    expect(result.error?.message).toBe("This account is disabled: ask an admin");
    // Its existing session stops working too.
    expect((await api.call("groups.list", undefined, { cookie })).error?.data.code).toBe("UNAUTHORIZED");
  });
});

describe("sessions", () => {
  it("logging out ends the session and clears the cookie", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const result = await api.call("auth.logout", undefined, { cookie });
    expect(result.setCookies[0]).toMatch(/^softfleet_session=; .*Max-Age=0/);
    expect((await api.call("groups.list", undefined, { cookie })).error?.data.code).toBe("UNAUTHORIZED");
  });

  it("an expired session is refused and removed", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const id = sessionIdOf(tokenOf(cookie));
    await t.db.session.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await api.call("groups.list", undefined, { cookie })).error?.data.code).toBe("UNAUTHORIZED");
    expect(await t.db.session.findUnique({ where: { id } })).toBeNull();
  });

  it("a made-up token is refused", async () => {
    const result = await api.call("groups.list", undefined, { cookie: "softfleet_session=forged-token" });
    expect(result.error?.data.code).toBe("UNAUTHORIZED");
  });

  it("changing one's password signs out the other sessions, keeps this one", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator");
    const other = await api.login(user.username, TEST_PASSWORD);
    const wrong = await api.call(
      "auth.changePassword",
      { currentPassword: "not it at all", newPassword: "a new passphrase" },
      { cookie },
    );
    expect(wrong.error?.message).toContain("currentPassword");
    const result = await api.call(
      "auth.changePassword",
      { currentPassword: TEST_PASSWORD, newPassword: "a new passphrase" },
      { cookie },
    );
    expect(result.error).toBeUndefined();
    expect((await api.call("auth.me", undefined, { cookie })).data).toMatchObject({ id: user.id });
    expect((await api.call("auth.me", undefined, { cookie: other })).data).toBeNull();
    expect(
      (await api.call("auth.login", { username: user.username, password: "a new passphrase" })).error,
    ).toBeUndefined();
  });
});
