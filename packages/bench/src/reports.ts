import { rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { createPrismaClient, type Db, parseDatabaseUrl } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import {
  fleetReport,
  fleetReportRows,
  keepFleetReportFacts,
  lastDaysRange,
  nodeHistory,
  rolloutReport,
} from "@softfleet/fleet";
import { prepareProvidedDatabase, provideDatabase } from "@softfleet/launcher";
import { generateFleet } from "@softfleet/testkit/fleet-fixtures";
import pg from "pg";
import { percentile } from "./stats";

const round = (value: number) => Math.round(value * 10) / 10;
const figures = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  max: round(Math.max(...values)),
});

const GOAL_MS = 500;

/** Empties the kernel's page cache (root only): a cold read then comes from disk. False when not allowed. */
async function dropPageCache(): Promise<boolean> {
  try {
    await writeFile("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}

type Report = { name: string; run: (db: Db) => Promise<unknown> };

/**
 * Every report, as the API calls it, over `nodes` nodes and `records` reboot
 * records (10,000 x 100 by default): the rollout report (1,000 nodes), the
 * fleet report over 90 days (the page's default), over 30 days, over 366 days
 * and over one group's 90 days, a node's history (100 reboots), and an
 * export's page of 1,000 rows (the first, and one from the middle of the 90
 * days). Goal: p95 <= 500 ms, cold and warm.
 *
 * - warm: each report `runs` times after one run (Postgres's caches and the
 *   report's kept days in place);
 * - cold: `coldRounds` times, Postgres restarted (its buffers empty) and the
 *   kernel's page cache emptied (when root), each report once, first after the
 *   restart; what control keeps at its start (the fleet's last 90, 30 and 366
 *   days, each group's last 90: apps/control/src/reports/warm.ts) is kept, as
 *   it is in production;
 * - first: the same, with nothing kept at all (the first report of each range
 *   computes and keeps its days: the worst case, once per range and day).
 */
export async function benchReports(
  options: { nodes?: number; records?: number; runs?: number; coldRounds?: number } = {},
) {
  const { nodes = 10_000, records = 1_000_000, runs = 20, coldRounds = 5 } = options;
  const dataDir = await makeScratchDir("softfleet-bench-reports-");
  const port = await freePort();
  let database = await provideDatabase({ dataDir, port, ephemeral: true });
  let db = createPrismaClient(database.url);
  try {
    await prepareProvidedDatabase(database);
    // Seeding (bulk COPY, ANALYZE) is the owner's work; the reports are read as the apps' role.
    const client = new pg.Client(parseDatabaseUrl(database.ownerUrl));
    await client.connect();
    const generateStarted = performance.now();
    try {
      console.log(
        `[reports] writing ${records.toLocaleString("en")} reboot records of ${nodes.toLocaleString("en")} nodes`,
      );
      await generateFleet(client, nodes, records);
    } finally {
      await client.end();
    }
    const generateMs = Math.round(performance.now() - generateStarted);
    console.log(`[reports] written in ${Math.round(generateMs / 1000)} s`);
    // The ranges the report page asks for: whole UTC days, today included (apps/web/src/app/(app)/reports/range.ts).
    const days = (n: number) => lastDaysRange(n);
    const [busiest] = await db.$queryRaw<[{ nodeId: string }]>`
      SELECT "nodeId" FROM "RebootRecord" GROUP BY "nodeId" ORDER BY count(*) DESC, "nodeId" LIMIT 1`;
    const middle = await fleetReportRows(db, days(45), { limit: 1 });
    const middleCursor = middle.next;
    const snapshot = <T>(d: Db, read: (tx: Parameters<Parameters<Db["$transaction"]>[0]>[0]) => Promise<T>) =>
      d.$transaction(read, { isolationLevel: "RepeatableRead", timeout: 60_000 });
    const reports: Report[] = [
      { name: "rollout (1,000 nodes)", run: (d) => snapshot(d, (tx) => rolloutReport(tx, "bench-rollout")) },
      { name: "fleet, 90 days", run: (d) => fleetReport(d, days(90)) },
      { name: "fleet, 30 days", run: (d) => fleetReport(d, days(30)) },
      { name: "fleet, 366 days", run: (d) => fleetReport(d, days(366)) },
      { name: "fleet, one group, 90 days", run: (d) => fleetReport(d, { ...days(90), groupId: "group-3" }) },
      { name: "node history (100 reboots)", run: (d) => nodeHistory(d, busiest.nodeId) },
      { name: "export page, first 1,000 rows", run: (d) => fleetReportRows(d, days(90), { limit: 1000 }) },
      {
        name: "export page, 1,000 rows mid-range",
        run: (d) => fleetReportRows(d, days(90), { after: middleCursor, limit: 1000 }),
      },
    ];

    // Cold: as after a restart of Postgres, with the days control keeps at start.
    const restart = async () => {
      await db.$disconnect();
      await database.stop();
      const pageCacheDropped = await dropPageCache();
      database = await provideDatabase({ dataDir, port, ephemeral: true });
      db = createPrismaClient(database.url);
      return pageCacheDropped;
    };
    const coldRuns = async (label: string, before: () => Promise<void>) => {
      const times = new Map(reports.map((r) => [r.name, [] as number[]]));
      let pageCacheDropped = true;
      for (let round = 1; round <= coldRounds; round++) {
        await before();
        pageCacheDropped = (await restart()) && pageCacheDropped;
        console.log(`[reports] ${label}: round ${round} of ${coldRounds} (Postgres restarted)`);
        for (const report of reports) {
          const started = performance.now();
          await report.run(db);
          times.get(report.name)!.push(performance.now() - started);
        }
      }
      return { pageCacheDropped, times };
    };
    const forgetKept = async () => {
      await db.$executeRaw`DELETE FROM "ReportBucket"`;
      await db.$executeRaw`DELETE FROM "ReportSpan"`;
    };
    const first = await coldRuns("first reports, nothing kept", forgetKept);
    const cold = await coldRuns("cold, the default range kept", async () => {
      await forgetKept();
      // What control's report warmer does at its start (apps/control/src/reports/warm.ts): the fleet's
      // default range and the page's other presets, then each group's default range.
      for (const n of [90, 30, 366]) await keepFleetReportFacts(db, lastDaysRange(n));
      for (const group of await db.nodeGroup.findMany({ select: { id: true }, orderBy: { name: "asc" } })) {
        await keepFleetReportFacts(db, { ...lastDaysRange(90), groupId: group.id });
      }
    });

    const loadBefore = loadavg()[0]!;
    const warm = new Map<string, number[]>();
    for (const report of reports) {
      console.log(`[reports] warm: ${report.name}, ${runs} runs`);
      await report.run(db);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await report.run(db);
        times.push(performance.now() - started);
      }
      warm.set(report.name, times);
    }
    const loadAfter = loadavg()[0]!;
    const table = reports.map((r) => {
      const w = figures(warm.get(r.name)!);
      const c = figures(cold.times.get(r.name)!);
      const f = figures(first.times.get(r.name)!);
      return {
        report: r.name,
        warm: w,
        cold: c,
        firstNothingKept: f,
        meetsGoal: w.p95 <= GOAL_MS && c.p95 <= GOAL_MS,
      };
    });
    return {
      name: `reports over ${nodes.toLocaleString("en")} nodes and ${records.toLocaleString("en")} reboot records`,
      goal: `p95 <= ${GOAL_MS} ms, cold and warm`,
      generateMs,
      runs,
      coldRounds,
      pageCacheDropped: cold.pageCacheDropped && first.pageCacheDropped,
      reports: table,
      loadAverage: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadAfter * 100) / 100 },
    };
  } finally {
    await db.$disconnect();
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
