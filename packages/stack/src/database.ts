import { join } from "node:path";
import { parseDatabaseUrl, redact } from "@softfleet/db";
import { startEmbeddedPostgres } from "@softfleet/db/embedded";
import pg from "pg";

export interface ProvidedDatabase {
  url: string;
  embedded: boolean;
  /** Where the embedded cluster keeps its files. */
  dataDir?: string;
  stop(): Promise<void>;
}

/**
 * The database of a run: the server DATABASE_URL names, or else an embedded
 * PostgreSQL with its files in `<dataDir>/postgres`.
 */
export async function provideDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<ProvidedDatabase> {
  if (options.databaseUrl) {
    await assertReachable(options.databaseUrl);
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir: join(options.dataDir, "postgres"),
    port: options.port,
    ephemeral: options.ephemeral,
    log: options.log,
  });
  return { url: server.url, embedded: true, dataDir: server.dataDir, stop: server.stop };
}

export async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ ...parseDatabaseUrl(url), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(`cannot connect to DATABASE_URL (${redact(url)}): ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
