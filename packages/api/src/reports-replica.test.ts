import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createPrismaClient, type Db } from "@softfleet/db";
import { freePort, makeScratchDir, startEmbeddedReplica } from "@softfleet/db/embedded";
import { prepareProvidedDatabase, provideDatabase } from "@softfleet/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

/**
 * Reports read from a read replica (REPORTS_DATABASE_URL): a real streaming
 * replica (hot standby) of a real primary. The reports answer from the
 * replica's data, keep nothing there (it is read-only), and sign-in and
 * everything else stay on the primary.
 */

let folder: string;
let primary: Awaited<ReturnType<typeof provideDatabase>>;
let replica: Awaited<ReturnType<typeof startEmbeddedReplica>>;
let db: Db;
let replicaDb: Db;
let replicaOwner: Db;

beforeAll(async () => {
  folder = await makeScratchDir("softfleet-replica-test-");
  primary = await provideDatabase({ dataDir: folder, port: await freePort(), ephemeral: true });
  await prepareProvidedDatabase(primary);
  replica = await startEmbeddedReplica(
    { url: primary.ownerUrl, appUrl: primary.url, dataDir: primary.dataDir! },
    { dataDir: join(folder, "replica") },
  );
  db = createPrismaClient(primary.url);
  replicaDb = createPrismaClient(replica.appUrl);
  replicaOwner = createPrismaClient(replica.url);
}, 120_000);

afterAll(async () => {
  await Promise.all([db?.$disconnect(), replicaDb?.$disconnect(), replicaOwner?.$disconnect()]);
  await replica?.stop();
  await primary?.stop();
  await rm(folder, { recursive: true, force: true });
});

const DAY_MS = 86_400_000;

/** Waits until the replica has replayed everything the primary has written so far (its commits are asynchronous: the insert position). */
async function caughtUp() {
  const [{ lsn }] = await db.$queryRaw<[{ lsn: string }]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [{ done }] = await replicaOwner.$queryRaw<[{ done: boolean }]>`
      SELECT pg_last_wal_replay_lsn() >= ${lsn}::pg_lsn AS done`;
    if (done) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the replica did not replay up to ${lsn} within 30 s`);
}

async function record(nodeId: string, at: Date, totalMs: number) {
  const id = `rec-${randomBytes(4).toString("hex")}`;
  await db.$executeRaw`
    INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
      "bootIdAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec", "agentConnectedUsec", units,
      "recordedAt")
    VALUES (${id}, ${nodeId}, ${`ev-${id}`}, 'soft-reboot', 'soft-reboot', false, false, 'manual', 'b',
      1000000, 1020000, 1300000, 2200000, ${1_000_000 + totalMs * 1000}, '[]', ${at})`;
}

describe("reports from a read replica", () => {
  it("answer from the replica's data, keep nothing there, and leave the rest on the primary", async () => {
    const node = await db.node.create({
      data: { machineId: randomBytes(16).toString("hex"), hostname: "replicated-1", labels: {} },
    });
    const now = Date.now();
    for (let i = 1; i <= 20; i++) await record(node.id, new Date(now - i * DAY_MS), 1000 + i);
    const viewer = (await signedInUser(db, "viewer")).cookie;
    const api = apiClient(db, { reports: { db: replicaDb, replica: true } });
    const range = { from: new Date(now - 30 * DAY_MS), to: new Date(now + DAY_MS) };
    await caughtUp();

    const fleet = await api.call("reports.fleet", range, { cookie: viewer });
    expect(fleet.error).toBeUndefined();
    const byType = (fleet.data as { byType: Array<{ rebootType: string; reboots: number }> }).byType;
    expect(byType.map((s) => [s.rebootType, s.reboots])).toEqual([["soft-reboot", 20]]);
    // The report kept nothing (on a replica it cannot; the primary has none either).
    expect(await db.reportBucket.count()).toBe(0);

    // What the replica has not replayed yet is not in its reports: they read there, not on the primary.
    await replicaOwner.$queryRaw`SELECT pg_wal_replay_pause()::text`;
    await record(node.id, new Date(now - 2 * 3_600_000), 900);
    const paused = await api.call("reports.node", { nodeId: node.id }, { cookie: viewer });
    expect(paused.error).toBeUndefined();
    expect((paused.data as { reboots: unknown[] }).reboots).toHaveLength(20);
    await replicaOwner.$queryRaw`SELECT pg_wal_replay_resume()::text`;
    await caughtUp();
    const resumed = await api.call("reports.node", { nodeId: node.id }, { cookie: viewer });
    expect((resumed.data as { reboots: unknown[] }).reboots).toHaveLength(21);

    // The export's pages and the fleet report again, now with the new reboot.
    const rows = await api.call("reports.fleetRows", { range, limit: 10 }, { cookie: viewer });
    expect(rows.error).toBeUndefined();
    expect((rows.data as { rows: unknown[]; next: string | null }).rows).toHaveLength(10);
    const again = await api.call("reports.fleet", range, { cookie: viewer });
    const total = (again.data as { byType: Array<{ reboots: number }> }).byType[0]!.reboots;
    expect(total).toBe(21);

    // A replica refuses writes: nothing of the report's was written there, and none of it failed.
    await expect(replicaDb.$executeRaw`DELETE FROM "ReportBucket"`).rejects.toThrow(/read-only/);
  });
});
