import { rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { createPrismaClient, parseDatabaseUrl } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { fleetReport, rolloutReport } from "@softfleet/fleet";
import pg from "pg";
import { prepareProvidedDatabase, provideDatabase } from "../database";
import { percentile } from "./stats";

const DAY_MS = 86_400_000;

/**
 * A fleet's history written with SQL (generate_series): `nodes` nodes in ten
 * groups by label, `records` reboot records over the last 365 days (97 %
 * soft-reboots, 2 % full reboots of which half escalated, 1 % kexec), three
 * watched units each, and one finished rollout of 1,000 nodes in batches of 100.
 */
export async function generateFleet(client: pg.Client, nodes: number, records: number) {
  await client.query(`
    INSERT INTO "Node" (id, "machineId", hostname, labels, simulated, status, "imageVersion", "updatedAt")
    SELECT 'node-' || i, md5(i::text), 'host-' || lpad(i::text, 5, '0'), jsonb_build_object('zone', 'z' || (i % 10)),
      true, 'online', '42', now()
    FROM generate_series(1, ${nodes}) i`);
  await client.query(`
    INSERT INTO "NodeGroup" (id, name, "labelSelector", "updatedAt")
    SELECT 'group-' || z, 'zone ' || z, jsonb_build_object('zone', 'z' || z), now() FROM generate_series(0, 9) z`);
  await client.query(`
    INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger, "commandId",
      "bootIdAfter", "imageVersionBefore", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec",
      "finishUsec", "agentConnectedUsec", units, "recordedAt")
    SELECT 'rec-' || i, 'node-' || (i % ${nodes} + 1), 'ev-' || i,
      CASE WHEN t < 0.97 THEN 'soft-reboot' ELSE 'full-reboot' END,
      CASE WHEN t < 0.98 THEN 'soft-reboot' WHEN t < 0.99 THEN 'reboot' ELSE 'kexec' END,
      t >= 0.97 AND t < 0.98, false,
      CASE WHEN i <= 1000 OR i % 3 = 0 THEN 'rollout' WHEN i % 3 = 1 THEN 'manual' ELSE 'external' END,
      CASE WHEN i <= 1000 THEN 'cmd-' || i END,
      md5('b' || i), (38 + i % 5)::text, (39 + i % 5)::text,
      CASE WHEN t < 0.97 THEN s END, CASE WHEN t < 0.97 THEN s + 20000 + (i % 50) * 1000 END,
      s + 300000 + (i % 700) * 1000, s + 1200000 + (i % 900) * 1000, s + 1400000 + (i % 1000) * 1000,
      jsonb_build_array(
        jsonb_build_object('name', 'db.service', 'outcome', 'survived'),
        jsonb_build_object('name', 'web.service', 'outcome', 'restarted',
          'inactiveEnterUsec', (s + 10000)::text, 'activeEnterUsec', (s + 900000 + (i % 400) * 1000)::text),
        jsonb_build_object('name', 'cache' || (i % 5) || '.service', 'outcome', CASE WHEN i % 2 = 0 THEN 'restarted' ELSE 'survived' END,
          'inactiveEnterUsec', (s + 10000)::text, 'activeEnterUsec', (s + 1300000 + (i % 300) * 1000)::text)),
      now() - (i::float8 / ${records}) * interval '365 days'
    FROM (SELECT i, ((i::bigint * 7919) % 1000) / 1000.0 AS t, 1000000000::bigint + (i % 100000) * 1000 AS s
          FROM generate_series(1, ${records}) i) g
    -- Oldest first, as records arrive (newest first left the recordedAt indexes half-full).
    ORDER BY i DESC`);
  await client.query(`
    INSERT INTO "Rollout" (id, "groupId", "groupName", status, plan, "createdByName", "finishedAt", "updatedAt")
    VALUES ('bench-rollout', NULL, 'bench', 'completed', '{}', 'bench', now(), now())`);
  await client.query(`
    INSERT INTO "RolloutBatch" ("rolloutId", index, kind, status)
    SELECT 'bench-rollout', b, CASE WHEN b = 0 THEN 'canary' ELSE 'batch' END, 'done' FROM generate_series(0, 9) b`);
  await client.query(`
    INSERT INTO "RolloutNode" ("rolloutId", "nodeId", position, "batchIndex", hostname, status, "commandId", active)
    SELECT 'bench-rollout', 'node-' || (i % ${nodes} + 1), i, (i - 1) / 100, 'host-' || lpad((i % ${nodes} + 1)::text, 5, '0'),
      CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, CASE WHEN i % 50 = 0 THEN NULL ELSE 'cmd-' || i END, false
    FROM generate_series(1, 1000) i`);
  await client.query("VACUUM ANALYZE");
  // The load is over: its dirty pages go to disk now, not during the measured runs.
  await client.query("CHECKPOINT");
}

const round = (value: number) => Math.round(value * 10) / 10;
const figures = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  max: round(Math.max(...values)),
});

async function timed(runs: number, run: () => Promise<unknown>): Promise<number[]> {
  await run(); // warm-up: plans, caches
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}

/**
 * The reports' server-side time at fleet scale: the rollout report of a
 * 1,000-node rollout and the 90-day fleet report, over 10,000 nodes and
 * 1,000,000 reboot records (goal: p95 ≤ 500 ms).
 */
export async function benchReports(options: { nodes?: number; records?: number; runs?: number } = {}) {
  const { nodes = 10_000, records = 1_000_000, runs = 20 } = options;
  const dataDir = await makeScratchDir("softfleet-bench-reports-");
  const database = await provideDatabase({ dataDir, port: await freePort(), ephemeral: true });
  const db = createPrismaClient(database.url);
  try {
    await prepareProvidedDatabase(database);
    // Seeding (bulk COPY, ANALYZE) is the owner's work; the reports are read as the apps' role.
    const client = new pg.Client(parseDatabaseUrl(database.ownerUrl));
    await client.connect();
    const generateStarted = performance.now();
    try {
      await generateFleet(client, nodes, records);
    } finally {
      await client.end();
    }
    const generateMs = Math.round(performance.now() - generateStarted);
    const snapshot = <T>(read: (tx: Parameters<Parameters<typeof db.$transaction>[0]>[0]) => Promise<T>) =>
      db.$transaction(read, { isolationLevel: "RepeatableRead", timeout: 60_000 });
    const rolloutTimes = await timed(runs, () => snapshot((tx) => rolloutReport(tx, "bench-rollout")));
    const to = new Date();
    const range = { from: new Date(to.getTime() - 90 * DAY_MS), to };
    // The first report of the range also computes and keeps its settled days (ReportBucket).
    const coldStarted = performance.now();
    await fleetReport(db, range);
    const fleetReportColdMs = round(performance.now() - coldStarted);
    // As the API calls it: the report opens its own snapshot (RepeatableRead transactions sharing one).
    const loadBefore = loadavg()[0]!;
    const fleetTimes = await timed(runs, () => fleetReport(db, range));
    const loadAfter = loadavg()[0]!;
    return {
      name: `reports over ${nodes.toLocaleString("en")} nodes and ${records.toLocaleString("en")} reboot records`,
      generateMs,
      runs,
      rolloutReportMs: figures(rolloutTimes),
      fleetReportMs: figures(fleetTimes),
      fleetReportColdMs,
      loadAverage: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadAfter * 100) / 100 },
    };
  } finally {
    await db.$disconnect();
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
