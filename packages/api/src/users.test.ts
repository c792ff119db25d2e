import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser, TEST_PASSWORD } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
});
afterAll(() => t.drop());

describe("managing users", () => {
  it("an admin creates a user who can then log in with the given role", async () => {
    const { cookie } = await signedInUser(t.db, "admin");
    const created = await api.call(
      "users.create",
      { username: "Dana", displayName: "Dana Ops", password: "dana's long password", role: "operator" },
      { cookie },
    );
    expect(created.data).toMatchObject({ username: "dana", role: "operator" });
    expect(created.data).not.toHaveProperty("passwordHash");
    const danaCookie = await api.login("dana", "dana's long password");
    expect((await api.call("auth.me", undefined, { cookie: danaCookie })).data).toMatchObject({ role: "operator" });
  });

  it("refuses a taken username, naming it", async () => {
    const { cookie, user } = await signedInUser(t.db, "admin");
    const result = await api.call(
      "users.create",
      { username: user.username, displayName: "Twin", password: "long enough password", role: "viewer" },
      { cookie },
    );
    expect(result.error?.data.code).toBe("CONFLICT");
    expect(result.error?.message).toBe(`username: "${user.username}" is already taken`);
  });

  it("keeps at least one active admin and refuses changes to oneself", async () => {
    await t.db.user.updateMany({ where: { role: "admin" }, data: { role: "viewer" } });
    const { cookie, user } = await signedInUser(t.db, "admin", "sole-admin");
    for (const [path, input] of [
      ["users.setRole", { userId: user.id, role: "viewer" }],
      ["users.setDisabled", { userId: user.id, disabled: true }],
      ["users.delete", { userId: user.id }],
    ] as const) {
      const result = await api.call(path, input, { cookie });
      expect(result.error?.data.code, path).toBe("FORBIDDEN");
      expect(result.error?.message, path).toMatch(/your own account/);
    }
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
      role: "admin",
      disabledAt: null,
    });
  });

  it("disabling a user ends their sessions; resetting a password ends them too", async () => {
    const { cookie } = await signedInUser(t.db, "admin");
    const victim = await signedInUser(t.db, "operator");
    await api.call("users.resetPassword", { userId: victim.user.id, password: "reset passphrase!" }, { cookie });
    expect((await api.call("auth.me", undefined, { cookie: victim.cookie })).data).toBeNull();
    expect(
      (await api.call("auth.login", { username: victim.user.username, password: TEST_PASSWORD })).error,
    ).toBeDefined();
    const again = await api.login(victim.user.username, "reset passphrase!");
    await api.call("users.setDisabled", { userId: victim.user.id, disabled: true }, { cookie });
    expect((await api.call("auth.me", undefined, { cookie: again })).data).toBeNull();
  });

  it("the user list never includes password hashes", async () => {
    const { cookie } = await signedInUser(t.db, "admin");
    const result = await api.call("users.list", undefined, { cookie });
    const users = result.data as Array<Record<string, unknown>>;
    expect(users.length).toBeGreaterThan(0);
    for (const user of users) expect(user).not.toHaveProperty("passwordHash");
  });
});
