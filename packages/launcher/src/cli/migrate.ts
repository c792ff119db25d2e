import { redact } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import { prepareProvidedDatabase, provideDatabase } from "../database";
import { loadStackEnv, StackEnvError } from "../env";
import { defaultDataDir } from "../stack";

/**
 * `npm run db:migrate`: applies migrations as the schema's owner
 * (MIGRATION_DATABASE_URL, or DATABASE_URL alone), then creates the apps' role
 * of DATABASE_URL if it is missing and grants it rows and nothing more.
 * Without DATABASE_URL it prepares the embedded database in .data.
 */
async function main() {
  const env = loadStackEnv();
  const database = await provideDatabase({
    databaseUrl: env.DATABASE_URL,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL,
    dataDir: env.SOFTFLEET_DATA_DIR ?? defaultDataDir(repoRoot()),
    port: env.SOFTFLEET_PG_PORT,
  });
  try {
    console.error(`[migrate] migrating ${redact(database.ownerUrl)}`);
    const { lines, warning } = await prepareProvidedDatabase(database);
    for (const line of lines) console.error(`[migrate] ${line}`);
    if (warning) console.error(`[migrate] WARNING: ${warning}`);
  } finally {
    await database.stop();
  }
}

main().catch((error) => {
  const message = error instanceof StackEnvError ? error.message : (error as Error).message;
  console.error(`[migrate] failed: ${message}`);
  console.error("[migrate] fix the cause above and run it again: it is safe to re-run");
  process.exit(1);
});
