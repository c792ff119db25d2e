import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type ProvidedDatabase, prepareProvidedDatabase, provideDatabase } from "./database";
import { type AppProcess, type ControlTls, startControl, startWeb, waitForHttp } from "./processes";

export interface StackOptions {
  root: string;
  dataDir: string;
  databaseUrl?: string;
  /** The schema's owner, for migrations (with databaseUrl; defaults to it). */
  migrationDatabaseUrl?: string;
  pgPort: number;
  host: string;
  webPort: number;
  controlPort: number;
  ephemeral?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Reports each step as it starts. */
  step?: (message: string) => void;
  /** Aborting (a Ctrl-C during start) stops whatever was started and rejects. */
  signal?: AbortSignal;
  log?: (source: string, line: string) => void;
  /** Control serves https with this certificate (the lab's tests: agents talk TLS). */
  controlTls?: ControlTls;
  /** Further addresses control listens on (labControl(): the lab network's gateway). */
  controlExtraHosts?: string[];
}

export interface Stack {
  database: ProvidedDatabase;
  web: AppProcess;
  control: AppProcess;
  /** Set when web and control connect with more rights than rows need (an owner or superuser). */
  privilegeWarning?: string;
  /** Stops the apps, then the database (if it was started here). */
  stop(): Promise<void>;
}

/** Database, migrations, control and web: the whole product, ready to answer. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const step = options.step ?? (() => {});
  const log = options.log ?? (() => {});
  await mkdir(options.dataDir, { recursive: true });
  step(options.databaseUrl ? "connecting to DATABASE_URL" : "starting the embedded PostgreSQL");
  const database = await provideDatabase({
    databaseUrl: options.databaseUrl,
    migrationDatabaseUrl: options.migrationDatabaseUrl,
    dataDir: options.dataDir,
    port: options.pgPort,
    ephemeral: options.ephemeral,
    log: (line) => log("postgres", line),
  });
  const apps: AppProcess[] = [];
  const stop = async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database.stop();
  };
  try {
    options.signal?.throwIfAborted();
    step("applying database migrations");
    const prepared = await prepareProvidedDatabase(database);
    for (const line of prepared.lines) log("migrate", line);
    if (prepared.warning) log("db", `WARNING: ${prepared.warning}`);
    step("starting the control plane and the web app");
    const common = { root: options.root, databaseUrl: database.url, host: options.host, env: options.env, output: log };
    const control = startControl({
      ...common,
      port: options.controlPort,
      tls: options.controlTls,
      extraHosts: options.controlExtraHosts,
    });
    apps.push(control);
    const web = startWeb({ ...common, port: options.webPort });
    apps.push(web);
    await Promise.all([
      waitForHttp(control, "/healthz", { signal: options.signal }),
      waitForHttp(web, "/login", { signal: options.signal }),
    ]);
    return { database, web, control, privilegeWarning: prepared.warning, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function defaultDataDir(root: string): string {
  return join(root, ".data");
}
