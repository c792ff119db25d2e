import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import pg from "pg";
import { parseDatabaseUrl, redact } from "./config";
import { repoRoot } from "./paths";
import { ensureAppRole, grantAppRole } from "./roles";

const require = createRequire(import.meta.url);

export class MigrationError extends Error {}

/** Migrations in prisma/migrations that the database has not finished applying. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const folder = join(repoRoot(), "prisma/migrations");
  const known = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const client = new pg.Client(parseDatabaseUrl(databaseUrl));
  await client.connect();
  try {
    const table = await client.query("SELECT to_regclass('public._prisma_migrations') AS t");
    if (!table.rows[0]?.t) return known.sort();
    const applied = await client.query(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const done = new Set(applied.rows.map((row: { migration_name: string }) => row.migration_name));
    return known.filter((name) => !done.has(name)).sort();
  } finally {
    await client.end();
  }
}

/**
 * Applies pending migrations with `prisma migrate deploy` (Prisma's JS schema
 * engine, no binary download). The CLI takes about two seconds to load, so it
 * runs only when a migration is pending. Returns a one-line summary.
 */
export async function migrateDeploy(databaseUrl: string): Promise<string> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length === 0) return "No pending migrations to apply.";
  const root = repoRoot();
  const cli = require.resolve("prisma/build/index.js", { paths: [root] });
  const args = ["--require", join(root, "scripts/prisma-unref-timers.cjs"), cli, "migrate", "deploy"];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(text);
      else
        reject(
          new MigrationError(
            `prisma migrate deploy failed against ${redact(databaseUrl)} (exit ${code}):\n${text.trim()}`,
          ),
        );
    });
  });
  const summary = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /migrations? (have been|found|to apply)|No pending/i.test(line));
  return summary.at(-1) ?? "migrations applied";
}

/**
 * Brings a database up to date with least privilege: migrations as the owner
 * (`ownerUrl`), then, when web and control use another role (`appUrl`), that
 * role created if missing and given row rights on every table. Returns what
 * was done, a line each.
 */
export async function prepareDatabase(ownerUrl: string, appUrl: string): Promise<string[]> {
  const lines = [await migrateDeploy(ownerUrl)];
  const owner = parseDatabaseUrl(ownerUrl);
  const app = parseDatabaseUrl(appUrl);
  if (app.user === owner.user) return lines;
  await ensureAppRole(ownerUrl, app.user, app.password);
  await grantAppRole(ownerUrl, app.user);
  lines.push(`role "${app.user}" may read and write rows (the audit log: read and add only)`);
  return lines;
}
