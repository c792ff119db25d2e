import { Prisma, parseDatabaseUrl } from "@softfleet/db";
import { type FleetReport, fleetReport, niceStep, SPAN_WINDOW } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { generateFleet } from "@softfleet/testkit/fleet-fixtures";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The fleet report's fast paths (migrations 20261127050000_report_arrays and
 * 20261127060000_report_buckets) against the plain SQL they replace: exact
 * percentiles over sorted arrays, the histogram bucketed in one pass, the slowest
 * nodes found among the nodes of the longest totals, and the settled buckets
 * kept for the trend and the services' outcomes. Every figure is compared with
 * percentile_cont and GROUP BY over the same records, on a generated fleet.
 */

let t: TestDatabase;
const DAY_MS = 86_400_000;
const now = new Date();
const range = { from: new Date(now.getTime() - 90 * DAY_MS), to: now };

beforeAll(async () => {
  t = await createTestDatabase();
  // Seeding in bulk (VACUUM, CHECKPOINT) is the owner's work; the reports then read as the apps' role.
  const client = new pg.Client(parseDatabaseUrl(t.ownerUrl));
  await client.connect();
  try {
    // 1,000 nodes in ten label groups, 30,000 records over a year (about 7,400 in the range).
    await generateFleet(client, 1000, 30_000);
  } finally {
    await client.end();
  }
}, 120_000);
afterAll(() => t.drop());

const PHASES = ["signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs"] as const;
const stat = (column: string) =>
  `count(${column})::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ${column}) AS p50,
   percentile_cont(0.95) WITHIN GROUP (ORDER BY ${column}) AS p95, max(${column}) AS max`;

/** The reboots of the range (of a group's nodes), as plain rows. */
const records = (groupId?: string) => `
  SELECT r.* FROM "RebootRecord" r
  WHERE r."recordedAt" >= $1 AND r."recordedAt" < $2
    ${
      groupId
        ? `AND r."nodeId" IN (SELECT m."nodeId" FROM "NodeGroupMember" m WHERE m."groupId" = '${groupId}'
      UNION SELECT n.id FROM "Node" n JOIN "NodeGroup" g ON g.id = '${groupId}' AND g."labelSelector" <> '{}'
        AND n.labels @> g."labelSelector")`
        : ""
    }`;

type Row = Record<string, unknown>;
async function query(sql: string): Promise<Row[]> {
  return t.db.$queryRawUnsafe<Row[]>(sql, range.from, range.to);
}

/** The report's figures computed the plain way: GROUP BY and percentile_cont over the records. */
async function reference(groupId?: string) {
  const base = records(groupId);
  const byType = await query(`
    SELECT r."rebootType", count(*)::int AS reboots, (count(*) - count(r."totalMs"))::int AS "withoutTotal",
      count(*) FILTER (WHERE r.escalated)::int AS escalated,
      ${PHASES.map((p) => `json_build_object('n', count(r."${p}")::int, 'p50', percentile_cont(0.5) WITHIN GROUP (ORDER BY r."${p}"), 'p95', percentile_cont(0.95) WITHIN GROUP (ORDER BY r."${p}"), 'max', max(r."${p}")) AS "${p}"`).join(", ")}
    FROM (${base}) r GROUP BY 1 ORDER BY 1`);
  const byImage = await query(`
    SELECT r."imageVersionAfter" AS "imageVersion", r."rebootType", count(*)::int AS reboots, ${stat('r."totalMs"')}
    FROM (${base}) r GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2`);
  const byGroup = await query(`
    SELECT g.id AS "groupId", r."rebootType", count(*)::int AS reboots, ${stat('r."totalMs"')}
    FROM (${base}) r JOIN "Node" n ON n.id = r."nodeId"
    JOIN "NodeGroup" g ON (g."labelSelector" <> '{}' AND n.labels @> g."labelSelector")
      OR EXISTS (SELECT 1 FROM "NodeGroupMember" m WHERE m."groupId" = g.id AND m."nodeId" = n.id)
    ${groupId ? `WHERE g.id = '${groupId}'` : ""}
    GROUP BY g.id, g.name, 2 ORDER BY g.name, 2`);
  const slowest = await query(`
    SELECT r."nodeId", count(*)::int AS reboots, percentile_cont(0.5) WITHIN GROUP (ORDER BY r."totalMs") AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r."totalMs") AS p95, max(r."totalMs") AS max
    FROM (${base}) r WHERE r."rebootType" = 'soft-reboot' AND r."totalMs" IS NOT NULL
    GROUP BY 1 ORDER BY p95 DESC, max DESC, 1 LIMIT 10`);
  const trend = await query(`
    SELECT date_trunc('day', r."recordedAt") AS at, r."rebootType" AS key, count(*)::int AS reboots,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r."totalMs") AS p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY r."totalMs") AS p95
    FROM (${base}) r GROUP BY 1, 2
    UNION ALL
    SELECT date_trunc('day', r."recordedAt"), 'image ' || r."imageVersionAfter", count(*)::int,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY r."totalMs"), percentile_cont(0.95) WITHIN GROUP (ORDER BY r."totalMs")
    FROM (${base}) r WHERE r."rebootType" = 'soft-reboot' GROUP BY 1, 2
    ORDER BY 1, 2`);
  const services = await query(`
    SELECT u.name, count(*) FILTER (WHERE u.outcome = 'survived')::int AS survived,
      count(*) FILTER (WHERE u.outcome = 'restarted')::int AS restarted, count(u."gapMs")::int AS "gapN",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY u."gapMs") AS "gapP50Ms",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY u."gapMs") AS "gapP95Ms", max(u."gapMs") AS "gapMaxMs"
    FROM (${base}) r JOIN "RebootUnit" u ON u."recordId" = r.id
    WHERE r."rebootType" = 'soft-reboot' GROUP BY 1 ORDER BY "gapP95Ms" DESC NULLS LAST, restarted DESC, 1`);
  const maxTotal = Math.max(0, ...byType.map((row) => (row.totalMs as { max: number | null }).max ?? 0));
  const step = niceStep(maxTotal);
  const histogram = await query(`
    SELECT r."rebootType", floor(r."totalMs" / ${step})::int AS bucket, count(*)::int AS count
    FROM (${base}) r WHERE r."totalMs" IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1`);
  const escalations = await query(`
    SELECT r.id FROM (${base}) r WHERE r.escalated ORDER BY r."recordedAt" DESC, r.id DESC LIMIT 50`);
  return { byType, byImage, byGroup, slowest, trend, services, step, histogram, escalations };
}

/** The report's figures in the reference's shape. */
function figuresOf(report: FleetReport) {
  return {
    byType: report.byType.map((s) => ({
      rebootType: s.rebootType,
      reboots: s.reboots,
      withoutTotal: s.withoutTotal,
      escalated: s.escalated,
      ...s.phases,
    })),
    byImage: report.byImageVersion.map((s) => ({
      imageVersion: s.imageVersion,
      rebootType: s.rebootType,
      reboots: s.reboots,
      ...s.total,
    })),
    byGroup: report.byGroup.map((s) => ({
      groupId: s.groupId,
      rebootType: s.rebootType,
      reboots: s.reboots,
      ...s.total,
    })),
    slowest: report.slowestNodes.map(({ nodeId, reboots, p50, p95, max }) => ({ nodeId, reboots, p50, p95, max })),
    trend: report.trend.map((p) => ({
      at: p.at,
      key: p.dimension === "type" ? p.key : `image ${p.key}`,
      reboots: p.reboots,
      p50: p.p50,
      p95: p.p95,
    })),
    services: report.slowestServices.map(({ name, survived, restarted, gapN, gapP50Ms, gapP95Ms, gapMaxMs }) => ({
      name,
      survived,
      restarted,
      gapN,
      gapP50Ms,
      gapP95Ms,
      gapMaxMs,
    })),
    step: report.histogram.length > 0 ? report.histogram[0]!.toMs - report.histogram[0]!.fromMs : null,
    histogram: report.histogram.map((h) => ({
      rebootType: h.rebootType,
      bucket: Math.round(h.fromMs / (h.toMs - h.fromMs)),
      count: h.count,
    })),
    escalations: report.escalations.map((e) => ({ id: e.recordId })),
  };
}

/** Percentiles interpolate in float8 both ways; the arrays' arithmetic is percentile_cont's own, so they agree to the bit. */
async function expectReferenceFigures(report: FleetReport, groupId?: string) {
  const want = await reference(groupId);
  const got = figuresOf(report);
  const sortTrend = (rows: Row[]) =>
    [...rows].sort((a, b) => +(a.at as Date) - +(b.at as Date) || String(a.key).localeCompare(String(b.key)));
  expect(got.byType).toEqual(want.byType);
  expect(got.byImage).toEqual(want.byImage);
  expect(got.byGroup).toEqual(want.byGroup);
  expect(got.slowest).toEqual(want.slowest);
  expect(sortTrend(got.trend)).toEqual(sortTrend(want.trend));
  expect(got.services).toEqual(want.services);
  if (want.histogram.length > 0) expect(got.step).toBe(want.step);
  expect(got.histogram).toEqual(want.histogram);
  expect(got.escalations).toEqual(want.escalations);
}

const keptSpans = async () =>
  (await t.db.reportSpan.findMany({ orderBy: { from: "asc" } })).map((s) => [s.from.getTime(), s.to.getTime()]);

const keptDays = async () =>
  (await t.db.$queryRaw<Array<{ at: Date }>>`SELECT at FROM "ReportBucket" WHERE bucket = 'day' ORDER BY at`).map(
    (row) => row.at.getTime(),
  );

describe("exact percentiles over sorted arrays", () => {
  it("equal percentile_cont, to the bit, for one value, duplicates and interpolated ranks", async () => {
    const samples = [
      [42],
      [1, 2],
      [5, 5, 5, 5],
      [0, 0.001, 1e9],
      Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1009) / 7),
      Array.from({ length: 37 }, (_, i) => Math.sin(i) * 1000),
    ];
    for (const values of samples) {
      const [row] = await t.db.$queryRaw<Array<Record<string, number>>>`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY v) AS p95,
          percentile_cont(0.37) WITHIN GROUP (ORDER BY v) AS p37,
          softfleet_percentile(softfleet_sorted(array_agg(v)), 0.5) AS a50,
          softfleet_percentile(softfleet_sorted(array_agg(v)), 0.95) AS a95,
          softfleet_percentile(softfleet_sorted(array_agg(v)), 0.37) AS a37
        FROM unnest(${values}::float8[]) v`;
      expect([row!.a50, row!.a95, row!.a37]).toEqual([row!.p50, row!.p95, row!.p37]);
    }
    const [empty] = await t.db.$queryRaw<Array<{ p: number | null }>>`
      SELECT softfleet_percentile('{}'::float8[], 0.5) AS p`;
    expect(empty!.p).toBeNull();
  });
});

describe("the fleet report at scale", () => {
  it("gives the plain SQL's figures, then keeps the settled days and gives them again", async () => {
    expect(await keptDays()).toEqual([]);
    const first = await fleetReport(t.db, range);
    await expectReferenceFigures(first);
    // Every whole day of the range that ended over an hour ago is kept; today is not.
    const kept = await keptDays();
    expect(kept.length).toBeGreaterThanOrEqual(88);
    expect(kept.every((at) => at >= range.from.getTime() && at + DAY_MS <= now.getTime() - 3_600_000)).toBe(true);
    // And the span of those days, whose windows gave the per-type figures.
    expect(await keptSpans()).toEqual([[kept[0], kept.at(-1)! + DAY_MS]]);
    const second = await fleetReport(t.db, range);
    expect(second).toEqual(first);
  });

  it("forgets a kept day when a record of it is written, and counts the record", async () => {
    await fleetReport(t.db, range);
    const day = Math.floor((now.getTime() - 30 * DAY_MS) / DAY_MS) * DAY_MS;
    expect(await keptDays()).toContain(day);
    // A late import: a record of that day (an escalation, with a restarted unit).
    await t.db.$executeRaw`
      INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
        "bootIdAfter", "imageVersionAfter", "userspaceUsec", "finishUsec", "agentConnectedUsec", units, "recordedAt")
      VALUES ('late-1', 'node-7', 'late-ev-1', 'full-reboot', 'soft-reboot', true, false, 'external', 'b-late', '99',
        1000000, 2000000, 99000000,
        '[{"name": "web.service", "outcome": "restarted", "inactiveEnterUsec": "1", "activeEnterUsec": "5000001"}]',
        ${new Date(day + 3_600_000)})`;
    expect(await keptDays()).not.toContain(day);
    expect(await keptSpans()).toEqual([]);
    const after = await fleetReport(t.db, range);
    await expectReferenceFigures(after);
    expect(after.byImageVersion.find((s) => s.imageVersion === "99")?.reboots).toBe(1);
    expect(after.byType.find((s) => s.rebootType === "full-reboot")?.escalated).toBeGreaterThan(0);
    expect(await keptDays()).toContain(day);

    // An edit and a delete forget it too.
    await t.db.$executeRaw`UPDATE "RebootRecord" SET "agentConnectedUsec" = 50000000 WHERE id = 'late-1'`;
    expect(await keptDays()).not.toContain(day);
    await expectReferenceFigures(await fleetReport(t.db, range));
    await t.db.$executeRaw`DELETE FROM "RebootRecord" WHERE id = 'late-1'`;
    expect(await keptDays()).not.toContain(day);
    const gone = await fleetReport(t.db, range);
    await expectReferenceFigures(gone);
    expect(gone.byImageVersion.find((s) => s.imageVersion === "99")).toBeUndefined();
  });

  it("keeps nothing while a record of the day is being written, and never a day without it", async () => {
    await fleetReport(t.db, range);
    const day = Math.floor((now.getTime() - 40 * DAY_MS) / DAY_MS) * DAY_MS;
    // The day is not kept yet (as before a first report).
    await t.db.$executeRaw`DELETE FROM "ReportBucket" WHERE bucket = 'day' AND at = ${new Date(day)}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const wasInserted = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    // A writer inserts a record of that day and holds its transaction open.
    const writer = t.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`
          INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
            "bootIdAfter", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec",
            "agentConnectedUsec", units, "recordedAt")
          VALUES ('slow-1', 'node-9', 'slow-ev-1', 'soft-reboot', 'soft-reboot', false, false, 'manual', 'b-slow', '98',
            1000000, 1020000, 1300000, 2200000, 9000000, '[]', ${new Date(day + 7_200_000)})`;
        inserted();
        await released;
      },
      { timeout: 30_000 },
    );
    await wasInserted;
    // A report meanwhile sees the day without the record, and does not keep it so.
    const during = await fleetReport(t.db, range);
    expect(during.byImageVersion.find((s) => s.imageVersion === "98")).toBeUndefined();
    expect(await keptDays()).not.toContain(day);
    release();
    await writer;
    const after = await fleetReport(t.db, range);
    expect(after.byImageVersion.find((s) => s.imageVersion === "98")?.reboots).toBe(1);
    expect(await keptDays()).toContain(day);
    await expectReferenceFigures(after);
  });

  it("finds the slowest nodes of a group by computing every node when the longest totals are elsewhere", async () => {
    // Nodes 1..20 have the fleet's shortest totals: none of them is among the longest.
    const group = await t.db.nodeGroup.create({
      data: {
        name: "shortest",
        members: { create: Array.from({ length: 20 }, (_, i) => ({ nodeId: `node-${i + 1}` })) },
      },
    });
    const report = await fleetReport(t.db, { ...range, groupId: group.id });
    expect(report.slowestNodes).toHaveLength(10);
    await expectReferenceFigures(report, group.id);
    const zone = await t.db.nodeGroup.findFirstOrThrow({ where: { name: "zone 3" } });
    await expectReferenceFigures(await fleetReport(t.db, { ...range, groupId: zone.id }), zone.id);
  });

  it("keeps a group's facts apart under its nodes' fingerprint, and computes them again when its nodes change", async () => {
    const zone = await t.db.nodeGroup.findFirstOrThrow({ where: { name: "zone 5" } });
    const scopes = async () =>
      (
        await t.db.$queryRaw<Array<{ scope: string; spans: number; days: number }>>`
          SELECT s.scope, (SELECT count(*)::int FROM "ReportSpan" k WHERE k.scope = s.scope) AS spans,
            (SELECT count(*)::int FROM "ReportBucket" c WHERE c.scope = s.scope AND c.bucket = 'day') AS days
          FROM (SELECT scope FROM "ReportSpan" UNION SELECT scope FROM "ReportBucket") s
          WHERE s.scope LIKE ${`${zone.id}:%`}`
      ).map((row) => ({ ...row, fingerprint: row.scope.slice(zone.id.length + 1) }));
    // The whole fleet's facts, kept with every group's nodes as they are now.
    await fleetReport(t.db, range);
    const first = await fleetReport(t.db, { ...range, groupId: zone.id });
    const [kept] = await scopes();
    // One scope of the group: its span and its settled days, under the md5 of its nodes' ids.
    expect(kept).toMatchObject({ spans: 1, fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(kept!.days).toBeGreaterThanOrEqual(88);
    // Read back from them, the same figures; and the plain SQL's.
    const second = await fleetReport(t.db, { ...range, groupId: zone.id });
    expect(second).toEqual(first);
    await expectReferenceFigures(second, zone.id);

    // A static member joins (a node of another zone): a new fingerprint, the old facts forgotten.
    await t.db.nodeGroupMember.create({ data: { groupId: zone.id, nodeId: "node-1" } });
    const grown = await fleetReport(t.db, { ...range, groupId: zone.id });
    const after = await scopes();
    expect(after).toHaveLength(1);
    expect(after[0]!.fingerprint).not.toBe(kept!.fingerprint);
    expect(after[0]!.spans).toBe(1);
    await expectReferenceFigures(grown, zone.id);
    const added = (r: FleetReport) => r.byType.reduce((sum, s) => sum + s.reboots, 0);
    expect(added(grown)).toBeGreaterThan(added(first));
    // The whole fleet's facts are not the group's.
    expect(await t.db.reportSpan.count({ where: { scope: "" } })).toBeGreaterThan(0);

    // The fleet's span keeps every group's breakdown under the scope it had then: the changed group's
    // is computed over the range, the nine others' come from the span, and all are the plain SQL's.
    const fleetSpan = await t.db.reportSpan.findFirstOrThrow({ where: { scope: "" }, orderBy: { computedAt: "desc" } });
    const keptScopes = (fleetSpan.groups as Array<{ scope: string }>).map((g) => g.scope);
    expect(keptScopes).toHaveLength(10);
    expect(keptScopes).toContain(kept!.scope);
    expect(keptScopes).not.toContain(after[0]!.scope);
    expect(
      await t.db.reportSpanValues.count({ where: { scope: "", dimension: "group", key: { in: keptScopes } } }),
    ).toBeGreaterThanOrEqual(10);
    await expectReferenceFigures(await fleetReport(t.db, range), undefined);
  });

  it("computes a breakdown live when the range's edges hold more values than a kept window reaches", async () => {
    // A span with more soft-reboots than its windows hold (two windows' worth and more)…
    await t.db.$executeRaw`
      INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
        "bootIdAfter", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec",
        "agentConnectedUsec", units, "recordedAt")
      SELECT 'bulk-' || i, 'node-' || (i % 1000 + 1), 'bulk-ev-' || i, 'soft-reboot', 'soft-reboot', false, false,
        'rollout', 'b-bulk', '42', 1000000, 1020000, 1300000, 2200000, 2500000 + (i % 977) * 1000,
        jsonb_build_array(jsonb_build_object('name', 'bulk.service', 'outcome', 'restarted',
          'inactiveEnterUsec', '1000', 'activeEnterUsec', (500000 + (i % 991) * 1000)::text)),
        ${new Date(now.getTime() - 80 * DAY_MS)}::timestamp + (i % 60) * interval '1 day'
      FROM generate_series(1, ${2 * SPAN_WINDOW + 2000}) i`;
    await fleetReport(t.db, range);
    expect((await keptSpans()).length).toBeGreaterThan(0);
    // …and in the last hour a burst of even more, all shorter than any of them: p50's rank moves
    // further below its window than the window reaches.
    await t.db.$executeRaw`
      INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
        "bootIdAfter", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec",
        "agentConnectedUsec", units, "recordedAt")
      SELECT 'burst-' || i, 'node-' || (i % 1000 + 1), 'burst-ev-' || i, 'soft-reboot', 'soft-reboot', false, false,
        'rollout', 'b-burst', '42', 1000000, 1000100, 1000200, 1000300, 1000400 + i % 50,
        jsonb_build_array(jsonb_build_object('name', 'bulk.service', 'outcome', 'restarted',
          'inactiveEnterUsec', '1000', 'activeEnterUsec', (1100 + i % 37)::text)),
        ${new Date(now.getTime() - 600_000)}
      FROM generate_series(1, ${2 * SPAN_WINDOW + 3000}) i`;
    await expectReferenceFigures(await fleetReport(t.db, range));
    await t.db.$executeRaw`DELETE FROM "RebootRecord" WHERE id LIKE 'burst-%' OR id LIKE 'bulk-%'`;
  }, 60_000);

  it("keeps week buckets for ranges over four months, and computes the same trend", async () => {
    const long = { from: new Date(now.getTime() - 300 * DAY_MS), to: now };
    const report = await fleetReport(t.db, long);
    expect(report.bucket).toBe("week");
    const weeks = await t.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM "ReportBucket" WHERE bucket = 'week'`;
    expect(weeks[0]!.n).toBeGreaterThanOrEqual(40);
    const again = await t.db.$transaction(
      async (tx) => {
        await tx.$executeRaw`DELETE FROM "ReportBucket"`;
        return fleetReport(tx, long);
      },
      { isolationLevel: "RepeatableRead", timeout: 60_000 },
    );
    expect(again).toEqual(await fleetReport(t.db, long));
  });

  it("empties the kept buckets when the records are emptied", async () => {
    await fleetReport(t.db, range);
    expect((await keptDays()).length).toBeGreaterThan(0);
    await t.db.$executeRaw(Prisma.sql`DELETE FROM "RebootRecord"`);
    expect(await keptDays()).toEqual([]);
    const empty = await fleetReport(t.db, range);
    expect(empty.trend).toEqual([]);
    expect(empty.slowestServices).toEqual([]);
  });
});
