import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createUser } from "@softfleet/api";
import { createPrismaClient, formatDatabaseUrl, parseDatabaseUrl } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { startStack } from "@softfleet/launcher";
import { labControl, labUnavailable } from "@softfleet/launcher/lab";
import { startTestOidcProvider } from "@softfleet/testkit/oidc-provider";
import pg from "pg";
import { E2E_USERS } from "./tests/users";

/**
 * Starts the whole product for the browser tests, as `npm start` does: a fresh
 * embedded PostgreSQL in a temporary folder (or a fresh database on the
 * DATABASE_URL server), migrations, control and web.
 */
export default async function globalSetup() {
  const dataDir = await makeScratchDir("softfleet-e2e-");
  let databaseUrl: string | undefined;
  let dropDatabase = async () => {};
  if (process.env.DATABASE_URL) {
    const server = parseDatabaseUrl(process.env.DATABASE_URL);
    const name = `sf_e2e_${process.pid}`;
    const admin = new pg.Client(server);
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    databaseUrl = formatDatabaseUrl({ ...server, database: name });
    dropDatabase = async () => {
      const client = new pg.Client(server);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    };
  }
  // Where the lab can run, control serves TLS with the lab's CA on the lab network too, for the lab specs' agents.
  const forLab = (await labUnavailable()) ? undefined : await labControl();
  const controlTls = forLab?.controlTls;
  // Single sign-on against a real OpenID provider on loopback, its callback on the web app's port.
  const webPort = await freePort();
  const oidc = await startTestOidcProvider({ redirectUri: `http://127.0.0.1:${webPort}/api/auth/oidc/callback` });
  const stack = await startStack({
    ...forLab,
    root: repoRoot(),
    dataDir,
    databaseUrl,
    pgPort: await freePort(),
    host: "127.0.0.1",
    webPort,
    // The lab's (control's images directory) and single sign-on's: neither may replace the other.
    env: { ...forLab?.env, ...oidc.env },
    controlPort: await freePort(),
    ephemeral: true,
    log: (source, line) => {
      if (source !== "postgres" && process.env.E2E_VERBOSE) console.error(`[${source}] ${line}`);
    },
  });
  const db = createPrismaClient(stack.database.url);
  for (const user of Object.values(E2E_USERS)) {
    await db.$transaction((tx) => createUser(tx, { ...user, displayName: `E2E ${user.role}` }));
  }
  await db.$disconnect();
  process.env.E2E_BASE_URL = stack.web.url;
  process.env.E2E_DATABASE_URL = stack.database.url;
  process.env.E2E_CONTROL_URL = stack.control.url;
  process.env.E2E_OIDC_ISSUER = oidc.issuer;
  if (controlTls) process.env.E2E_CONTROL_CA = controlTls.caFile;
  await writeFile(join(dataDir, "stack.json"), JSON.stringify({ web: stack.web.url }));

  return async () => {
    await stack.stop();
    await oidc.stop();
    await dropDatabase();
    await rm(dataDir, { recursive: true, force: true });
  };
}
