import { join } from "node:path";
import { parseDatabaseUrl, redact } from "@softfleet/db";
import { startEmbeddedPostgres } from "@softfleet/db/embedded";
import { prepareDatabase } from "@softfleet/db/migrate";
import { privilegeWarning } from "@softfleet/db/roles";
import pg from "pg";

export interface ProvidedDatabase {
  /** What web and control use: a role that may only read and write rows. */
  url: string;
  /** The schema's owner: migrations and grants. The same as `url` when only DATABASE_URL is given. */
  ownerUrl: string;
  embedded: boolean;
  /** Where the embedded cluster keeps its files. */
  dataDir?: string;
  stop(): Promise<void>;
}

/**
 * The database of a run: the server DATABASE_URL names (migrated as
 * MIGRATION_DATABASE_URL when set), or else an embedded PostgreSQL with its
 * files in `<dataDir>/postgres`, whose owner migrates and whose app role
 * (softfleet_app) the apps use.
 */
export async function provideDatabase(options: {
  databaseUrl?: string;
  migrationDatabaseUrl?: string;
  dataDir: string;
  port: number;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<ProvidedDatabase> {
  if (options.databaseUrl) {
    const ownerUrl = options.migrationDatabaseUrl ?? options.databaseUrl;
    await assertReachable(ownerUrl, options.migrationDatabaseUrl ? "MIGRATION_DATABASE_URL" : "DATABASE_URL");
    return { url: options.databaseUrl, ownerUrl, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir: join(options.dataDir, "postgres"),
    port: options.port,
    ephemeral: options.ephemeral,
    log: options.log,
  });
  return { url: server.appUrl, ownerUrl: server.url, embedded: true, dataDir: server.dataDir, stop: server.stop };
}

/**
 * Migrations as the owner, the app role's grants, then a check that the apps'
 * role is least-privileged: what was done, and a warning when it is not.
 */
export async function prepareProvidedDatabase(
  database: ProvidedDatabase,
): Promise<{ lines: string[]; warning?: string }> {
  const lines = await prepareDatabase(database.ownerUrl, database.url);
  // Its one connection as the apps' role is also the check that the role can connect at all.
  const warning = await privilegeWarning(database.url).catch((error: Error) => {
    throw new Error(`cannot connect to DATABASE_URL (${redact(database.url)}): ${error.message}`);
  });
  return { lines, warning };
}

export async function assertReachable(url: string, name = "DATABASE_URL"): Promise<void> {
  const client = new pg.Client({ ...parseDatabaseUrl(url), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(`cannot connect to ${name} (${redact(url)}): ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
