import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredSessions, sessionIdOf } from "./auth/session";
import { LOGIN_THROTTLE, usernameDigest } from "./auth/throttle";
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

  it("over https names the cookie __Host- (Secure, whole site, this host only) and reads only that one", async () => {
    await signedInUser(t.db, "viewer", "hera");
    const result = await api.call("auth.login", { username: "hera", password: TEST_PASSWORD }, { secure: true });
    const cookie = result.setCookies[0]!;
    expect(cookie).toMatch(/^__Host-softfleet_session=[\w-]{43}; Path=\/; /);
    expect(cookie).toContain("Secure");
    expect(cookie).not.toContain("Domain");
    const pair = cookie.split(";")[0]!;
    expect((await api.call("auth.me", undefined, { cookie: pair, secure: true })).data).toMatchObject({
      username: "hera",
    });
    // The unprefixed name (which a sibling host could set) is not read over https.
    const planted = `softfleet_session=${pair.split("=")[1]}`;
    expect((await api.call("auth.me", undefined, { cookie: planted, secure: true })).data).toBeNull();
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
    expect(entry).toMatchObject({
      targetName: null,
      actorName: "unknown user",
      details: { usernameDigest: usernameDigest("nobody-here"), reason: "unknown user" },
    });
    // What someone typed (perhaps a password in the username field) is not kept in clear.
    expect(JSON.stringify({ ...entry, id: null })).not.toContain("nobody-here");
  });

  it("refuses a disabled account with the same message as a wrong password", async () => {
    const { user, cookie } = await signedInUser(t.db, "viewer");
    await t.db.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    const result = await api.call("auth.login", { username: user.username, password: TEST_PASSWORD });
    expect(result.status).toBe(401);
    expect(result.error?.message).toBe("Wrong username or password");
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

  it("a session ends at its absolute lifetime even while in use", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const id = sessionIdOf(tokenOf(cookie));
    // Used all along (its sliding expiry is ahead), but logged in 31 days ago: past the 30-day default.
    await t.db.session.update({
      where: { id },
      data: { createdAt: new Date(Date.now() - 31 * 86_400_000), expiresAt: new Date(Date.now() + 86_400_000) },
    });
    expect((await api.call("groups.list", undefined, { cookie })).error?.data.code).toBe("UNAUTHORIZED");
    expect(await t.db.session.findUnique({ where: { id } })).toBeNull();
  });

  it("purges sessions nobody uses any more: past their expiry or their absolute lifetime, not live ones", async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(sessionIdOf(tokenOf((await signedInUser(t.db, "viewer")).cookie)));
    const [expired, tooOld, live] = ids as [string, string, string];
    await t.db.session.update({ where: { id: expired }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await t.db.session.update({ where: { id: tooOld }, data: { createdAt: new Date(Date.now() - 31 * 86_400_000) } });
    expect(await purgeExpiredSessions(t.db)).toBeGreaterThanOrEqual(2);
    const left = await t.db.session.findMany({ where: { id: { in: ids } }, select: { id: true } });
    expect(left.map((row) => row.id)).toEqual([live]);
  });

  it("slides no further than its absolute end", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const id = sessionIdOf(tokenOf(cookie));
    const createdAt = new Date(Date.now() - 29.5 * 86_400_000);
    await t.db.session.update({ where: { id }, data: { createdAt, expiresAt: new Date(Date.now() + 3_600_000) } });
    expect((await api.call("groups.list", undefined, { cookie })).error).toBeUndefined();
    const row = await t.db.session.findUniqueOrThrow({ where: { id } });
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(createdAt.getTime() + 30 * 86_400_000);
  });

  it.each([
    ["a bad percent-escape", "softfleet_session=%E0%A4%A"],
    ["a lone percent sign", "softfleet_session=%"],
    ["a 10 KB cookie", `softfleet_session=${"a".repeat(10_000)}`],
    ["a 20 KB header", `x=${"b".repeat(20_000)}; softfleet_session=abc`],
    ["odd bytes", "softfleet_session=\u00ff\u00fe%ZZ"],
  ])("a malformed session cookie (%s) means no session, not a server error", async (_name, cookie) => {
    const result = await api.call("groups.list", undefined, { cookie });
    expect(result.status).toBe(401);
    expect((await api.call("auth.me", undefined, { cookie })).data).toBeNull();
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

describe("password guessing", () => {
  it("throttles a username after repeated failures: 429 with Retry-After, even for the right password", async () => {
    await signedInUser(t.db, "viewer", "tina");
    const ip = "198.51.100.1";
    for (let i = 0; i < LOGIN_THROTTLE.perUsername; i++) {
      const wrong = await api.call("auth.login", { username: "tina", password: `guess ${i}` }, { ip });
      expect(wrong.status).toBe(401);
    }
    const blocked = await api.call("auth.login", { username: "tina", password: TEST_PASSWORD }, { ip: "198.51.100.2" });
    expect(blocked.status).toBe(429);
    expect(blocked.error?.message).toMatch(/^Too many failed logins: try again in \d+ s$/);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(blocked.setCookies).toEqual([]);
    // The failures of one window are one audit entry.
    const entries = await t.db.auditEntry.count({ where: { action: "auth.login_failed", targetName: "tina" } });
    expect(entries).toBe(1);
    // Another account from the same address is not locked out by it.
    await signedInUser(t.db, "viewer", "uma");
    expect((await api.call("auth.login", { username: "uma", password: TEST_PASSWORD }, { ip })).status).toBe(200);
  });

  it("throttles guesses at the current password from a signed-in session, with the login form's count", async () => {
    const { user, cookie } = await signedInUser(t.db, "operator", "pia");
    const change = (currentPassword: string, ip: string) =>
      api.call("auth.changePassword", { currentPassword, newPassword: "taken over at last" }, { cookie, ip });
    for (let i = 0; i < LOGIN_THROTTLE.perUsername - 1; i++) {
      expect((await change(`guess ${i}`, "198.51.100.40")).status).toBe(400);
    }
    // The last failure before the block comes from the login form: one count per username.
    expect((await api.call("auth.login", { username: "pia", password: "guess" }, { ip: "198.51.100.41" })).status).toBe(
      401,
    );
    const blocked = await change(TEST_PASSWORD, "198.51.100.42");
    expect(blocked.status).toBe(429);
    expect(blocked.error?.message).toMatch(/^Too many wrong current passwords: try again in \d+ s$/);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    // The password was not changed, and the wrong guesses are one audit entry.
    expect(
      (await api.call("auth.login", { username: "pia", password: TEST_PASSWORD }, { ip: "198.51.100.43" })).status,
    ).toBe(429);
    await t.db.loginThrottle.deleteMany({ where: { key: `user:${usernameDigest("pia")}` } });
    expect(
      (await api.call("auth.login", { username: "pia", password: TEST_PASSWORD }, { ip: "198.51.100.43" })).status,
    ).toBe(200);
    expect(await t.db.auditEntry.count({ where: { action: "auth.password_change_failed", targetId: user.id } })).toBe(
      1,
    );
  });

  it("backs off twice as long with each further failure, up to a cap", async () => {
    const { backoffMs } = await import("./auth/throttle");
    const n = LOGIN_THROTTLE.perUsername;
    expect([n - 1, n, n + 1, n + 2].map((f) => backoffMs(f, n))).toEqual([0, 1_000, 2_000, 4_000]);
    expect(backoffMs(n + 100, n)).toBe(LOGIN_THROTTLE.maxBlockMs);
  });

  it("throttles a client address that tries many usernames", async () => {
    const ip = "198.51.100.20";
    for (let i = 0; i < LOGIN_THROTTLE.perAddress; i++) {
      await api.call("auth.login", { username: `spray-${i}`, password: "Winter2026!" }, { ip });
    }
    const { user } = await signedInUser(t.db, "viewer");
    const blocked = await api.call("auth.login", { username: user.username, password: TEST_PASSWORD }, { ip });
    expect(blocked.status).toBe(429);
    const elsewhere = await api.call(
      "auth.login",
      { username: user.username, password: TEST_PASSWORD },
      { ip: "198.51.100.21" },
    );
    expect(elsewhere.status).toBe(200);
  });

  it("refuses password checks in a batch, verifying none of them", async () => {
    const { user } = await signedInUser(t.db, "viewer");
    const guesses = Array.from({ length: 5 }, (_, i) => ({
      path: "auth.login",
      input: { username: user.username, password: i === 4 ? TEST_PASSWORD : `guess ${i}` },
    }));
    const result = await api.batch(guesses, { ip: "198.51.100.30" });
    expect(result.errors).toEqual(Array(5).fill("auth.login must be called alone, not in a batch"));
    expect(await t.db.loginThrottle.count({ where: { key: "ip:198.51.100.30" } })).toBe(0);
  });

  it("caps the size of any batch", async () => {
    const calls = Array.from({ length: 21 }, () => ({ path: "auth.me", input: undefined }));
    expect((await api.batch(calls)).status).toBe(400);
    expect((await api.batch(calls.slice(0, 20))).status).toBe(200);
  });
});
