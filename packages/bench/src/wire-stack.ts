import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createPrismaClient, type Db } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import {
  type AppProcess,
  prepareProvidedDatabase,
  provideDatabase,
  startControl,
  waitForHttp,
} from "@softfleet/launcher";
import type { WirePool } from "@softfleet/simagent";
import { stopOnInterrupt } from "./interrupt";
import { withChildren } from "./proc-stats";

/**
 * What the wire-level benchmarks run against: a fresh embedded Postgres in a
 * scratch folder and one control process on it (no web app), with the wire
 * agents the benchmark adds. `stop` stops all of it and removes the folder;
 * so does Ctrl-C, and so does a failure to start.
 */
export interface WireStack {
  db: Db;
  databaseUrl: string;
  control: AppProcess;
  /** Postgres's processes (the postmaster and its children), for their CPU. */
  postgresPids(): Promise<number[]>;
  /** Starts control again (after the benchmark killed it); `answering` waits for its /healthz. */
  restartControl(answering?: boolean): Promise<AppProcess>;
  /** The wire agents to stop with the rest. */
  adopt(pool: WirePool): WirePool;
  stop(): Promise<void>;
}

export async function startWireStack(
  prefix: string,
  options: { env?: NodeJS.ProcessEnv; output?: (line: string) => void } = {},
): Promise<WireStack> {
  const dataDir = await makeScratchDir(prefix);
  const database = await provideDatabase({ dataDir, port: await freePort() });
  const db = createPrismaClient(database.url);
  const port = await freePort();
  let control: AppProcess | undefined;
  let pool: WirePool | undefined;
  const stopAll = async () => {
    pool?.stop();
    await control?.stop();
    await db.$disconnect();
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const forget = stopOnInterrupt(stopAll);
  const launch = async (answering = true) => {
    control = startControl({
      root: repoRoot(),
      databaseUrl: database.url,
      host: "127.0.0.1",
      port,
      env: options.env,
      output: (_name, line) => options.output?.(line),
    });
    if (answering) await waitForHttp(control, "/healthz");
    return control;
  };
  try {
    await prepareProvidedDatabase(database);
    const postmaster = Number((await readFile(join(database.dataDir!, "postmaster.pid"), "utf8")).split("\n")[0]);
    await launch();
    return {
      db,
      databaseUrl: database.url,
      get control() {
        return control!;
      },
      postgresPids: () => withChildren(postmaster),
      restartControl: launch,
      adopt(wires) {
        pool = wires;
        return wires;
      },
      async stop() {
        forget();
        await stopAll();
      },
    };
  } catch (error) {
    forget();
    await stopAll();
    throw error;
  }
}
