import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SsoLoginRefused, signInWithSso } from "../auth/sso-login";
import type { Context } from "../context";
import { apiClient, signedInUser, TEST_PASSWORD } from "../testing/http";
import { parseRoleMap } from "./sso-roles";
import { linkSsoUser, SsoRefusal, usernameStem } from "./sso-users";
import { createUser } from "./users";

let t: TestDatabase;
const issuer = "https://idp.example.test";
const config = { roleClaim: "groups", roleRules: parseRoleMap("admins=admin,ops=operator,viewers=viewer") };

function ctx(): Context {
  return { db: t.db, session: null, meta: { sourceIp: "127.0.0.1", userAgent: "test", secure: false, setCookie() {} } };
}

function signIn(subject: string, claims: Record<string, unknown>) {
  return signInWithSso(ctx(), config, { issuer, subject, claims: { sub: subject, ...claims }, nextPath: "/fleet" });
}

const auditOf = (action: string) =>
  t.db.auditEntry.findMany({ where: { action }, orderBy: [{ at: "asc" }, { id: "asc" }] });

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
beforeEach(async () => {
  await t.db.session.deleteMany();
  await t.db.user.deleteMany();
  // The audit log is append-only for the app's role: each test reads only its own entries.
});

describe("linking single sign-on users", () => {
  it("creates the user at the first login, with the mapped role, a session and audit entries", async () => {
    const before = (await auditOf("user.created")).length;
    const signed = await signIn("s-olivia", { preferred_username: "Olivia", name: "Olivia Ops", groups: ["ops"] });
    expect(signed.user).toMatchObject({ username: "olivia", displayName: "Olivia Ops", role: "operator" });
    const row = await t.db.user.findUniqueOrThrow({ where: { id: signed.user.id } });
    expect(row).toMatchObject({ oidcIssuer: issuer, oidcSubject: "s-olivia" });
    expect(await t.db.session.count({ where: { userId: row.id } })).toBe(1);
    const created = (await auditOf("user.created")).slice(before);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ targetName: "olivia", details: { role: "operator", method: "sso", issuer } });
    const logins = await t.db.auditEntry.findMany({ where: { action: "auth.login", targetId: row.id } });
    expect(logins).toHaveLength(1);
  });

  it("never takes over a local account of the same name: the SSO user gets a name of its own", async () => {
    const local = await t.db.$transaction((tx) =>
      createUser(tx, { username: "admin", displayName: "Local", password: TEST_PASSWORD, role: "admin" }),
    );
    await t.db.user.create({ data: { username: "admin-2", displayName: "x", passwordHash: "-", role: "viewer" } });
    const signed = await signIn("s-evil", { preferred_username: "admin", groups: ["viewers"] });
    expect(signed.user.username).toBe("admin-3");
    expect(signed.user.role).toBe("viewer");
    const untouched = await t.db.user.findUniqueOrThrow({ where: { id: local.id } });
    expect(untouched).toMatchObject({ role: "admin", displayName: "Local", oidcSubject: null });
    // The local admin still logs in with its password.
    expect(await apiClient(t.db).login("admin", TEST_PASSWORD)).toBeTruthy();
  });

  it("finds the user again by issuer and subject, and takes name and role from the claims", async () => {
    const first = await signIn("s-dan", { preferred_username: "dan", name: "Dan", groups: ["viewers"] });
    const before = (await auditOf("user.role_changed")).length;
    const again = await signIn("s-dan", { preferred_username: "renamed", name: "Dan Ops", groups: ["ops", "viewers"] });
    expect(again.user).toMatchObject({ id: first.user.id, username: "dan", displayName: "Dan Ops", role: "operator" });
    const changes = (await auditOf("user.role_changed")).slice(before);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ targetId: first.user.id, details: { from: "viewer", to: "operator" } });
    // The same subject at another issuer is someone else.
    const elsewhere = await signInWithSso(ctx(), config, {
      issuer: "https://other.example.test",
      subject: "s-dan",
      claims: { sub: "s-dan", preferred_username: "dan", groups: ["viewers"] },
      nextPath: "/fleet",
    });
    expect(elsewhere.user.id).not.toBe(first.user.id);
    expect(elsewhere.user.username).toBe("dan-2");
  });

  it("refuses a user with no mapped group, saying which claim and values it saw, and creates nothing", async () => {
    const users = await t.db.user.count();
    const error = await signIn("s-nadia", { preferred_username: "nadia", groups: ["marketing"] }).catch((e) => e);
    expect(error).toBeInstanceOf(SsoLoginRefused);
    expect(error.message).toContain('"groups" claim holds "marketing"');
    expect(await t.db.user.count()).toBe(users);
    expect(await t.db.session.count()).toBe(0);
    const refused = (await auditOf("auth.sso_refused")).at(-1);
    expect(refused).toMatchObject({ details: { reason: "no role", values: ["marketing"] } });
  });

  it("refuses a disabled user, with no session", async () => {
    const signed = await signIn("s-eve", { preferred_username: "eve", groups: ["ops"] });
    await t.db.session.deleteMany();
    await t.db.user.update({ where: { id: signed.user.id }, data: { disabledAt: new Date() } });
    await expect(signIn("s-eve", { preferred_username: "eve", groups: ["ops"] })).rejects.toThrow(/is disabled/);
    expect(await t.db.session.count()).toBe(0);
  });

  it("keeps the last active admin: claims cannot demote it until another admin exists", async () => {
    const boss = await signIn("s-boss", { preferred_username: "boss", groups: ["admins"] });
    await expect(signIn("s-boss", { preferred_username: "boss", groups: ["ops"] })).rejects.toThrow(
      /last active admin/,
    );
    expect((await t.db.user.findUniqueOrThrow({ where: { id: boss.user.id } })).role).toBe("admin");
    // A local break-glass admin makes the demotion possible.
    await t.db.$transaction((tx) =>
      createUser(tx, { username: "breakglass", displayName: "Break glass", password: TEST_PASSWORD, role: "admin" }),
    );
    const demoted = await signIn("s-boss", { preferred_username: "boss", groups: ["ops"] });
    expect(demoted.user.role).toBe("operator");
  });

  it("SSO accounts have no password: the local form refuses them with a clear message", async () => {
    await signIn("s-pat", { preferred_username: "pat", groups: ["viewers"] });
    const result = await apiClient(t.db).call("auth.login", { username: "pat", password: "!sso" });
    expect(result.error?.message).toBe(
      "This account signs in with single sign-on: use the sign-in button above the form",
    );
    expect(result.setCookies).toEqual([]);
  });

  it("an admin cannot give an SSO account a password: it would never be used", async () => {
    const sso = await signIn("s-quinn", { preferred_username: "quinn", groups: ["viewers"] });
    const { cookie } = await signedInUser(t.db, "admin");
    const result = await apiClient(t.db).call(
      "users.resetPassword",
      { userId: sso.user.id, password: "a long new password" },
      { cookie },
    );
    expect(result.error?.message).toBe(
      '"quinn" signs in with single sign-on and has no password: for break-glass use, create a local account',
    );
    expect((await t.db.user.findUniqueOrThrow({ where: { id: sso.user.id } })).passwordHash).toBe("!sso");
  });

  it("links the first login inside the caller's transaction, rolling back with it", async () => {
    await expect(
      t.db.$transaction(async (tx) => {
        await linkSsoUser(tx, { issuer, subject: "s-rollback", preferredUsername: "rb" }, "viewer");
        throw new SsoRefusal("disabled", "stop", { id: "x", username: "rb" });
      }),
    ).rejects.toThrow("stop");
    expect(await t.db.user.count({ where: { oidcSubject: "s-rollback" } })).toBe(0);
  });
});

describe("usernames from claims", () => {
  it("take preferred_username, else the email's local part, made valid", () => {
    expect(usernameStem({ issuer, subject: "1", preferredUsername: "Jane Doe@Corp" })).toBe("jane-doe-corp");
    expect(usernameStem({ issuer, subject: "1", email: "j.smith@example.com" })).toBe("j.smith");
    expect(usernameStem({ issuer, subject: "1" })).toBe("sso-user");
    expect(usernameStem({ issuer, subject: "1", preferredUsername: "ü" })).toBe("sso-user");
    expect(usernameStem({ issuer, subject: "1", preferredUsername: "x".repeat(200) })).toHaveLength(56);
  });
});
