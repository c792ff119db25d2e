import { spawn } from "node:child_process";
import { join } from "node:path";
import { createUser } from "@softfleet/api";
import { repoRoot } from "@softfleet/db/paths";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run user` from a shell on the server keeps the dashboard's rules: it
 * cannot demote the last active admin (nobody could manage users after), and
 * what it changes is audited.
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

/** Runs `npm run user -- <args>` against the test's database, as an operator would. */
function user(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot(), "scripts/user.mjs"), ...args], {
    cwd: repoRoot(),
    env: { ...process.env, DATABASE_URL: t.url, MIGRATION_DATABASE_URL: t.ownerUrl },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

const roleOf = async (username: string) => (await t.db.user.findUniqueOrThrow({ where: { username } })).role;

describe("npm run user -- set-role", () => {
  it("refuses to demote the last active admin, and changes nothing", async () => {
    await t.db.$transaction((tx) =>
      createUser(tx, { username: "alpha", displayName: "Alpha", password: "a long enough password", role: "admin" }),
    );
    const refused = await user(["set-role", "--username", "alpha", "--role", "viewer"]);
    expect(refused.stderr).toContain("error: This is the last active admin: make another admin first");
    expect(refused.code).toBe(1);
    expect(await roleOf("alpha")).toBe("admin");
    expect(await t.db.auditEntry.count({ where: { action: "user.role_changed" } })).toBe(0);
  }, 60_000);

  it("demotes an admin while another remains, audited as the command line", async () => {
    await t.db.$transaction((tx) =>
      createUser(tx, { username: "beta", displayName: "Beta", password: "a long enough password", role: "admin" }),
    );
    const done = await user(["set-role", "--username", "alpha", "--role", "viewer"]);
    expect(done.stdout).toContain('"alpha" is now viewer');
    expect(done.code).toBe(0);
    expect(await roleOf("alpha")).toBe("viewer");
    const [entry] = await t.db.auditEntry.findMany({ where: { action: "user.role_changed" } });
    expect(entry).toMatchObject({ actorType: "system", targetName: "alpha", details: { from: "admin", to: "viewer" } });
    expect(entry!.actorName).toMatch(/^cli \(/);
  }, 60_000);
});
