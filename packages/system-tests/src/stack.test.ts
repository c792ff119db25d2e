import { rm } from "node:fs/promises";
import { createPrismaClient, parseDatabaseUrl } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { ensureDemoAdmin, type Stack, startStack } from "@softfleet/launcher";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The whole product as `npm start` runs it (needs the built web app). With
 * DATABASE_URL unset the embedded PostgreSQL is restarted too.
 */
let dataDir: string;
let serverDb: TestDatabase | undefined;
const stacks: Stack[] = [];

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  await serverDb?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function start(): Promise<Stack> {
  const stack = await startStack({
    root: repoRoot(),
    dataDir,
    databaseUrl: serverDb?.url,
    migrationDatabaseUrl: serverDb?.ownerUrl,
    pgPort: await freePort(),
    host: "127.0.0.1",
    webPort: await freePort(),
    controlPort: await freePort(),
  });
  stacks.push(stack);
  return stack;
}

async function trpc(stack: Stack, path: string, body: unknown, cookie?: string) {
  const response = await fetch(`${stack.web.url}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ json: body }),
  });
  return { response, body: (await response.json()) as { result?: { data: { json: unknown } }; error?: unknown } };
}

/** The roles of every other connection to the stack's database. */
async function connectedRoles(stack: Stack): Promise<string[]> {
  const owner = new pg.Client(parseDatabaseUrl(stack.database.ownerUrl));
  await owner.connect();
  try {
    const { rows } = await owner.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return rows.map((row) => row.usename);
  } finally {
    await owner.end();
  }
}

describe("the running product", () => {
  it("keeps users, sessions, groups and the audit log across a restart of every process", async () => {
    dataDir = await makeScratchDir("softfleet-stack-");
    if (process.env.DATABASE_URL) serverDb = await createTestDatabase();

    let stack = await start();
    expect((await fetch(`${stack.control.url}/healthz`).then((r) => r.json())) as unknown).toEqual({
      status: "ok",
      database: "ok",
    });
    const db = createPrismaClient(stack.database.url);
    const demo = await ensureDemoAdmin(db, dataDir);
    await db.$disconnect();
    if (demo.state !== "ready") throw new Error("no demo admin");
    const login = await trpc(stack, "auth.login", demo.credentials);
    const cookie = login.response.headers.getSetCookie()[0]!.split(";")[0]!;
    const created = await trpc(stack, "groups.create", { name: "survives-restarts" }, cookie);
    expect(created.body.error).toBeUndefined();

    // Web and control ran all of that as the app role (row rights only), not as the schema's owner.
    expect(stack.privilegeWarning).toBeUndefined();
    expect(parseDatabaseUrl(stack.database.url).user).not.toBe(parseDatabaseUrl(stack.database.ownerUrl).user);
    expect(await connectedRoles(stack)).toEqual([parseDatabaseUrl(stack.database.url).user]);

    await stack.stop();
    await expect(fetch(`${stack.web.url}/login`)).rejects.toThrow();
    stacks.pop();

    stack = await start();
    // The same cookie still works: the session was stored, not held in memory.
    const groups = await fetch(`${stack.web.url}/api/trpc/groups.list`, { headers: { cookie } }).then((r) => r.json());
    expect(JSON.stringify(groups)).toContain("survives-restarts");
    const db2 = createPrismaClient(stack.database.url);
    expect(await db2.auditEntry.count({ where: { action: "group.created", targetName: "survives-restarts" } })).toBe(1);
    // The demo credentials are kept, not made anew.
    expect(await ensureDemoAdmin(db2, dataDir)).toMatchObject({ state: "ready", created: false });
    await db2.$disconnect();
  }, 180_000);
});
