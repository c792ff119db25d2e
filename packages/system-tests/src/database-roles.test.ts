import { randomBytes } from "node:crypto";
import { parseDatabaseUrl } from "@softfleet/db";
import { pendingMigrations, prepareDatabase } from "@softfleet/db/migrate";
import { privilegeWarning } from "@softfleet/db/roles";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { adminQuery, withRole } from "@softfleet/testkit/global-setup";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * Least privilege: migrations run as the owner, web and control as a role
 * that reads and writes rows and nothing more. The test database is set up
 * the way `npm start` and `npm run db:migrate` set up a real one.
 */
let t: TestDatabase;
let app: pg.Client;

beforeAll(async () => {
  t = await createTestDatabase();
  app = new pg.Client(parseDatabaseUrl(t.url));
  await app.connect();
});
afterAll(async () => {
  await app?.end();
  await t?.drop();
});

const refused = async (sql: string) => {
  const error = await app.query(sql).then(
    () => undefined,
    (e: { code?: string; message: string }) => e,
  );
  expect(error, sql).toBeDefined();
  return error!;
};

describe("the apps' database role", () => {
  it("reads and writes rows", async () => {
    await app.query(`INSERT INTO "Node" (id, "machineId", hostname, "updatedAt") VALUES ('r1', 'm-r1', 'h1', now())`);
    await app.query(`UPDATE "Node" SET hostname = 'h2' WHERE id = 'r1'`);
    expect((await app.query(`SELECT hostname FROM "Node" WHERE id = 'r1'`)).rows).toEqual([{ hostname: "h2" }]);
    await app.query(`DELETE FROM "Node" WHERE id = 'r1'`);
    await app.query(`INSERT INTO "AuditEntry" ("actorType", "actorName", action) VALUES ('system', 'test', 'x')`);
    expect((await app.query(`SELECT action FROM "AuditEntry" WHERE action = 'x'`)).rows).toEqual([{ action: "x" }]);
    // Control checks what is migrated before it starts.
    expect(await pendingMigrations(t.url)).toEqual([]);
  });

  it("may not change the schema, empty a table, or touch the migrations' record", async () => {
    for (const sql of [
      `CREATE TABLE intruder (id int)`,
      `DROP TABLE "Node"`,
      `ALTER TABLE "Node" ADD COLUMN backdoor text`,
      `TRUNCATE "RebootRecord"`,
      `DROP TRIGGER "AuditEntry_append_only" ON "AuditEntry"`,
      `DELETE FROM "_prisma_migrations"`,
      `CREATE ROLE intruder LOGIN`,
    ]) {
      expect((await refused(sql)).code, sql).toBe("42501");
    }
  });

  it("only adds to the audit log: updates and deletes are refused by privilege, before the trigger", async () => {
    await app.query(`INSERT INTO "AuditEntry" ("actorType", "actorName", action) VALUES ('system', 'test', 'y')`);
    for (const sql of [
      `UPDATE "AuditEntry" SET action = 'z' WHERE action = 'y'`,
      `DELETE FROM "AuditEntry" WHERE action = 'y'`,
    ]) {
      const error = await refused(sql);
      expect(error.code).toBe("42501");
      expect(error.message).toMatch(/permission denied for table AuditEntry/);
    }
    expect((await app.query(`SELECT action FROM "AuditEntry" WHERE action = 'y'`)).rows).toEqual([{ action: "y" }]);
  });

  it("is not warned about; the owner is, with what to do", async () => {
    expect(await privilegeWarning(t.url)).toBeUndefined();
    const warning = await privilegeWarning(t.ownerUrl);
    expect(warning).toMatch(/a superuser|the owner of softfleet's tables/);
    expect(warning).toContain("MIGRATION_DATABASE_URL");
  });
});

describe("preparing a database for a new app role", () => {
  it("creates the role with its password and grants it rows on every table, new ones included", async () => {
    const role = `${inject("dbPrefix")}r${randomBytes(3).toString("hex")}`;
    const storedPassword = async () =>
      (await adminQuery(t.ownerUrl, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role])).rows[0]
        ?.rolpassword as string | undefined;
    const appUrl = withRole(t.ownerUrl, role, "first-password");
    try {
      expect(await prepareDatabase(t.ownerUrl, appUrl)).toContain(
        `role "${role}" may read and write rows (the audit log: read and add only)`,
      );
      const client = new pg.Client(parseDatabaseUrl(appUrl));
      await client.connect();
      try {
        expect((await client.query(`SELECT count(*)::int AS n FROM "User"`)).rows).toEqual([{ n: 0 }]);
      } finally {
        await client.end();
      }
      // A changed password in the deployment's settings takes effect on the next run.
      const first = await storedPassword();
      expect(first).toMatch(/^SCRAM-SHA-256\$/);
      // A table a later migration adds is granted on that run too.
      await adminQuery(t.ownerUrl, `CREATE TABLE "Later" (id int)`);
      const rotated = withRole(t.ownerUrl, role, "second-password");
      await prepareDatabase(t.ownerUrl, rotated);
      expect(await storedPassword()).not.toBe(first);
      const later = new pg.Client(parseDatabaseUrl(rotated));
      await later.connect();
      try {
        await later.query(`INSERT INTO "Later" VALUES (1)`);
        expect((await later.query(`SELECT id FROM "Later"`)).rows).toEqual([{ id: 1 }]);
      } finally {
        await later.end();
      }
      await expect(privilegeWarning(rotated)).resolves.toBeUndefined();
    } finally {
      await adminQuery(t.ownerUrl, `DROP OWNED BY "${role}"`).catch(() => {});
      await adminQuery(t.ownerUrl, `DROP ROLE IF EXISTS "${role}"`);
    }
  });
});
