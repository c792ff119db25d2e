import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createPrismaClient, type Db } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { requestSoftReboot } from "@softfleet/fleet";
import {
  type AppProcess,
  type ProvidedDatabase,
  prepareProvidedDatabase,
  provideDatabase,
  startControl,
  waitForHttp,
} from "@softfleet/launcher";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * A control process whose Postgres goes away for 30 s under load, and comes
 * back: on a server of this file's own (the shared test server must not
 * restart under the other files), with a real control process and wire-level
 * agents sending events throughout.
 */
const NODES = 40;
const OUTAGE_MS = 30_000;

let dir: string;
let port: number;
let database: ProvidedDatabase | undefined;
let control: AppProcess | undefined;
let pool: WirePool | undefined;
let db: Db;
const controlLines: string[] = [];

const up = () => provideDatabase({ dataDir: dir, port });

beforeAll(async () => {
  dir = await makeScratchDir("softfleet-pg-restart-");
  port = await freePort();
  database = await up();
  await prepareProvidedDatabase(database);
  db = createPrismaClient(database.url);
  control = startControl({
    root: repoRoot(),
    databaseUrl: database.url,
    host: "127.0.0.1",
    port: await freePort(),
    output: (_name, line) => controlLines.push(line),
  });
  await waitForHttp(control, "/healthz", { timeoutMs: 30_000 });
}, 120_000);
afterAll(async () => {
  pool?.stop();
  await control?.stop();
  await db?.$disconnect();
  await database?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) {
      throw new Error(
        `not within ${timeoutMs / 1000} s: ${what}\ncontrol said:\n${controlLines.slice(-15).join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const answer = (phase: string) => () => ({
  type: "command-result" as const,
  commandId: `restart-${randomBytes(6).toString("hex")}`,
  outcome: "refused" as const,
  reason: `postgres restart test: ${phase}`,
});

describe("Postgres restarted under load", () => {
  it("control rides out 30 s without its database, and its agents are all back, with every event stored once", async () => {
    const specs = await provisionNodes(db, NODES);
    pool = new WirePool(specs, { controlUrl: control!.url, backoff: { minMs: 500, maxMs: 5_000 } });
    await pool.start();
    await until("every agent welcomed", () => pool!.counters.welcomed === NODES, 30_000);
    pool.spoolOnEach(answer("before"));
    await until("the first events acked", () => pool!.unacked() === 0, 30_000);

    // The database goes away with events coming in, and stays away for 30 s.
    const ackedBefore = pool.counters.eventsAcked;
    await database!.stop();
    const during = setInterval(() => pool!.spoolOnEach(answer("during")), 5_000);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    clearInterval(during);
    expect(control!.child.exitCode, `control exited:\n${controlLines.slice(-15).join("\n")}`).toBeNull();
    // Nothing was acked while nothing could be stored; the agents kept it all.
    expect(pool.counters.eventsAcked).toBe(ackedBefore);
    expect(pool.unacked()).toBeGreaterThanOrEqual(NODES * 5);

    // It comes back on the same port and files: control recovers by itself, without a restart.
    database = await up();
    await until("every event acked", () => pool!.unacked() === 0, 90_000);
    const [rows] = await db.$queryRaw<Array<{ rows: bigint; distinct: bigint }>>`
        SELECT count(*) AS rows, count(DISTINCT ("nodeId", id)) AS distinct FROM "NodeEvent" WHERE type = 'command-result'`;
    expect(Number(rows!.rows)).toBe(pool.counters.eventsSpooled);
    expect(Number(rows!.distinct)).toBe(pool.counters.eventsSpooled);
    await until(
      "every node online",
      async () => (await db.node.count({ where: { status: "online" } })) === NODES,
      60_000,
    );
    // Commands reach agents again: the process's LISTEN came back too.
    const commandsBefore = pool.counters.commands;
    await db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId: specs[0]!.nodeId, requireNextroot: false, requestedById: null }),
    );
    await until("the command delivered", () => pool!.counters.commands > commandsBefore, 30_000);
    expect(control!.child.exitCode).toBeNull();
  }, 240_000);
});
