import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Prisma, parseDatabaseUrl } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import {
  ensurePartitionsFor,
  fleetReport,
  niceStep,
  niceStepSql,
  type PhaseTimestamps,
  phaseDurations,
  storeEvent,
} from "@softfleet/fleet";
import type { RebootRecordEvent, UnitContinuity } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { adminQuery, withDatabase } from "@softfleet/testkit/global-setup";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The report facts of migration 20261127030000_report_facts: a reboot
 * record's phases and type as stored generated columns, and its watched units
 * as RebootUnit rows written with it (and backfilled by the migration).
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const unique = () => randomBytes(4).toString("hex");
const newNode = () =>
  t.db.node.create({ data: { machineId: unique().padEnd(32, "0"), hostname: `facts-${unique()}`, labels: {} } });

interface StoredFacts {
  signalToShutdownMs: number | null;
  shutdownMs: number | null;
  bootMs: number | null;
  reconnectMs: number | null;
  totalMs: number | null;
  rebootType: string | null;
}

const storedFacts = async (id: string) =>
  (
    await t.db.$queryRaw<StoredFacts[]>`
      SELECT "signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs", "rebootType"
      FROM "RebootRecord" WHERE id = ${id}`
  )[0]!;

describe("a reboot record's stored phases", () => {
  const us = (value: number | null) => (value === null ? null : BigInt(value));
  // [case, kind, requested, signal, shutdownStart, userspace, finish, agentConnected, type]
  const cases: Array<[string, string, string | null, ...Array<number | null>, string]> = [
    [
      "soft, every point",
      "soft-reboot",
      "soft-reboot",
      1_000_000,
      1_020_500,
      1_300_250,
      2_200_000,
      2_400_125,
      "soft-reboot",
    ],
    ["soft, no signal seen", "soft-reboot", null, null, 1_020_000, 1_300_000, 2_200_000, 2_400_000, "soft-reboot"],
    [
      "soft, clock backwards in boot",
      "soft-reboot",
      "soft-reboot",
      1_000_000,
      1_020_000,
      1_300_000,
      1_200_000,
      2_400_000,
      "soft-reboot",
    ],
    ["soft, only the agent", "soft-reboot", "soft-reboot", null, null, null, null, 2_400_000, "soft-reboot"],
    [
      "full reboot (old boot's points ignored)",
      "full-reboot",
      "reboot",
      9_000_000,
      9_100_000,
      300_000,
      1_200_000,
      1_400_000,
      "full-reboot",
    ],
    ["escalated soft-reboot", "full-reboot", "soft-reboot", null, null, 300_000, 1_200_000, 1_400_000, "full-reboot"],
    ["kexec", "full-reboot", "kexec", null, null, 250_000, 900_000, 1_000_000, "kexec"],
    ["full, no userspace", "full-reboot", "reboot", null, null, null, 900_000, 1_000_000, "full-reboot"],
    ["full, agent before finish", "full-reboot", "kexec", null, null, 250_000, 900_000, 800_000, "kexec"],
  ];

  it.each(cases)("%s: equal to phaseDurations, with the reboot type", async (...row) => {
    const [, kind, requested, signal, shutdownStart, userspace, finish, agent, type] = row;
    const node = await newNode();
    const timestamps: PhaseTimestamps = {
      signalUsec: us(signal as number | null),
      shutdownStartUsec: us(shutdownStart as number | null),
      userspaceUsec: us(userspace as number | null),
      finishUsec: us(finish as number | null),
      agentConnectedUsec: us(agent as number),
    };
    const record = await t.db.rebootRecord.create({
      data: {
        nodeId: node.id,
        eventId: `ev-${unique()}`,
        kind: kind as string,
        requested: requested as string | null,
        escalated: false,
        beforeLost: false,
        trigger: "manual",
        bootIdAfter: "b",
        ...timestamps,
        agentConnectedUsec: timestamps.agentConnectedUsec!,
        units: [],
      },
    });
    expect(await storedFacts(record.id)).toEqual({ ...phaseDurations(timestamps, kind as string), rebootType: type });
  });

  it("follows an update of its timestamps", async () => {
    const node = await newNode();
    const record = await t.db.rebootRecord.create({
      data: {
        nodeId: node.id,
        eventId: `ev-${unique()}`,
        kind: "soft-reboot",
        escalated: false,
        beforeLost: false,
        trigger: "manual",
        bootIdAfter: "b",
        signalUsec: 1_000_000n,
        agentConnectedUsec: 3_000_000n,
        units: [],
      },
    });
    expect((await storedFacts(record.id)).totalMs).toBe(2000);
    await t.db.rebootRecord.updateMany({ where: { id: record.id }, data: { agentConnectedUsec: 1_500_000n } });
    expect((await storedFacts(record.id)).totalMs).toBe(500);
  });
});

const unit = (name: string, outcome: UnitContinuity["outcome"], inactive: number | null, active: number | null) => ({
  name,
  outcome,
  invocationIdBefore: "a",
  invocationIdAfter: outcome === "survived" ? "a" : "b",
  inactiveEnterUsec: inactive === null ? null : String(inactive),
  activeEnterUsec: active === null ? null : String(active),
});

function rebootRecordEvent(units: UnitContinuity[], kind: "soft-reboot" | "full-reboot" = "soft-reboot") {
  const image = { id: "debian", versionId: "13", imageId: "fleet", imageVersion: "2" };
  return {
    type: "reboot-record",
    kind,
    requested: "soft-reboot",
    escalated: kind === "full-reboot",
    beforeLost: false,
    bootIdBefore: null,
    bootIdAfter: "b",
    softRebootsCountBefore: 1,
    softRebootsCountAfter: 2,
    imageBefore: image,
    imageAfter: image,
    phases: {
      signalUsec: "1000000",
      shutdownStartUsec: "1020000",
      userspaceUsec: "1300000",
      finishUsec: "2200000",
      agentConnectedUsec: "2400000",
    },
    units,
    signalEventId: null,
  } satisfies RebootRecordEvent;
}

interface UnitRow {
  recordId: string;
  nodeId: string;
  recordedAt: Date;
  rebootType: string;
  name: string;
  outcome: string | null;
  gapMs: number | null;
}

const unitRows = (where: Prisma.Sql) =>
  t.db.$queryRaw<UnitRow[]>`
    SELECT "recordId", "nodeId", "recordedAt", "rebootType", name, outcome, "gapMs"
    FROM "RebootUnit" WHERE ${where} ORDER BY name`;

describe("a reboot record's units", () => {
  it("are written with the record at ingest, one row per unit, with the restarts' gaps", async () => {
    const node = await newNode();
    const eventId = `ev-${unique()}`;
    const event = rebootRecordEvent([
      unit("web.service", "restarted", 1_000_000, 1_250_500),
      unit("db.service", "survived", null, null),
      unit("clock.service", "restarted", 2_000_000, 1_000_000),
      unit("gone.service", "absent", 1_000_000, null),
      unit("odd.service", "unknown", null, null),
      unit("late.service", "restarted", null, 3_000_000),
    ]);
    const stored = await t.db.$transaction(async (tx) => {
      expect(await storeEvent(tx, node.id, eventId, event)).toBe(true);
      // In the ingest's own transaction, before it commits.
      return tx.$queryRaw<
        Array<{ n: number }>
      >`SELECT count(*)::int AS n FROM "RebootUnit" WHERE "nodeId" = ${node.id}`;
    });
    expect(stored).toEqual([{ n: 6 }]);
    const record = await t.db.rebootRecord.findFirstOrThrow({ where: { eventId } });
    const rows = await unitRows(Prisma.sql`"nodeId" = ${node.id}`);
    expect(rows.map((r) => [r.name, r.outcome, r.gapMs])).toEqual([
      ["clock.service", "restarted", null],
      ["db.service", "survived", null],
      ["gone.service", "absent", null],
      ["late.service", "restarted", null],
      ["odd.service", "unknown", null],
      ["web.service", "restarted", 250.5],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ recordId: record.id, nodeId: node.id, rebootType: "soft-reboot" });
      expect(row.recordedAt).toEqual(record.recordedAt);
    }
    // The same event again stores nothing more.
    expect(await t.db.$transaction((tx) => storeEvent(tx, node.id, eventId, event))).toBe(false);
    expect(await unitRows(Prisma.sql`"nodeId" = ${node.id}`)).toHaveLength(6);
  });

  it("carry the record's type, follow an update of its units, and go with it", async () => {
    const node = await newNode();
    const eventId = `ev-${unique()}`;
    await t.db.$transaction((tx) =>
      storeEvent(tx, node.id, eventId, rebootRecordEvent([unit("a.service", "restarted", 0, 5_000)], "full-reboot")),
    );
    const record = await t.db.rebootRecord.findFirstOrThrow({ where: { eventId } });
    expect((await unitRows(Prisma.sql`"recordId" = ${record.id}`)).map((r) => [r.rebootType, r.gapMs])).toEqual([
      ["full-reboot", 5],
    ]);
    await t.db.rebootRecord.updateMany({
      where: { id: record.id },
      data: { units: [unit("b.service", "survived", null, null), unit("c.service", "restarted", 10_000, 12_000)] },
    });
    expect((await unitRows(Prisma.sql`"recordId" = ${record.id}`)).map((r) => [r.name, r.gapMs])).toEqual([
      ["b.service", null],
      ["c.service", 2],
    ]);
    await t.db.rebootRecord.deleteMany({ where: { id: record.id } });
    expect(await unitRows(Prisma.sql`"recordId" = ${record.id}`)).toEqual([]);
  });

  it("skip what is not a named unit", async () => {
    const node = await newNode();
    const record = await t.db.rebootRecord.create({
      data: {
        nodeId: node.id,
        eventId: `ev-${unique()}`,
        kind: "soft-reboot",
        escalated: false,
        beforeLost: false,
        trigger: "external",
        bootIdAfter: "b",
        agentConnectedUsec: 1n,
        units: [
          { outcome: "survived" },
          "text",
          3,
          { name: "x.service", outcome: "restarted", inactiveEnterUsec: "1000", activeEnterUsec: "5e3" },
        ],
      },
    });
    expect((await unitRows(Prisma.sql`"recordId" = ${record.id}`)).map((r) => [r.name, r.gapMs])).toEqual([
      ["x.service", null],
    ]);
  });
});

describe("migration 20261127030000_report_facts", () => {
  it("backfills the phases and the units of the records already there", async () => {
    const serverUrl = inject("dbServerUrl");
    const name = `${inject("dbPrefix")}backfill_${unique()}`;
    await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
    const client = new pg.Client(parseDatabaseUrl(withDatabase(serverUrl, name)));
    await client.connect();
    try {
      const folder = join(repoRoot(), "prisma/migrations");
      const migrations = (await readdir(folder, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
      const at = migrations.indexOf("20261127030000_report_facts");
      expect(at).toBeGreaterThan(0);
      const apply = async (migration: string) =>
        client.query(await readFile(join(folder, migration, "migration.sql"), "utf8"));
      for (const migration of migrations.slice(0, at)) await apply(migration);

      await client.query(
        `INSERT INTO "Node" (id, "machineId", hostname, "updatedAt") VALUES ('n1', 'm1', 'h1', now())`,
      );
      await client.query(
        `INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
           "bootIdAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec", "agentConnectedUsec", units)
         VALUES ('r1', 'n1', 'e1', 'soft-reboot', 'soft-reboot', false, false, 'manual', 'b', 1000000, 1020000, 1300000,
           2200000, 2400000, $1),
                ('r2', 'n1', 'e2', 'full-reboot', 'kexec', false, false, 'manual', 'b', NULL, NULL, 300000, 1200000,
           1400000, '[]')`,
        [
          JSON.stringify([
            unit("web.service", "restarted", 1_000_000, 1_400_000),
            unit("db.service", "survived", null, null),
          ]),
        ],
      );
      for (const migration of migrations.slice(at)) await apply(migration);

      const records = await client.query(
        `SELECT id, "signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs", "rebootType"
         FROM "RebootRecord" ORDER BY id`,
      );
      expect(records.rows).toEqual([
        {
          id: "r1",
          signalToShutdownMs: 20,
          shutdownMs: 280,
          bootMs: 900,
          reconnectMs: 200,
          totalMs: 1400,
          rebootType: "soft-reboot",
        },
        {
          id: "r2",
          signalToShutdownMs: null,
          shutdownMs: null,
          bootMs: 900,
          reconnectMs: 200,
          totalMs: 1100,
          rebootType: "kexec",
        },
      ]);
      const units = await client.query(
        `SELECT "recordId", "nodeId", "rebootType", name, outcome, "gapMs" FROM "RebootUnit" ORDER BY name`,
      );
      expect(units.rows).toEqual([
        {
          recordId: "r1",
          nodeId: "n1",
          rebootType: "soft-reboot",
          name: "db.service",
          outcome: "survived",
          gapMs: null,
        },
        {
          recordId: "r1",
          nodeId: "n1",
          rebootType: "soft-reboot",
          name: "web.service",
          outcome: "restarted",
          gapMs: 400,
        },
      ]);
    } finally {
      await client.end();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});

describe("the fleet report", () => {
  it("picks the histogram's step in SQL as niceStep does in TypeScript", async () => {
    const maxima = [0, 0.004, 0.5, 1, 7, 11.9, 12, 12.0001, 100, 999, 1234.5, 2399, 12_000, 60_000, 99_999, 2.4e6, 1e9];
    const rows = await t.db.$queryRaw<Array<{ max: number; step: number }>>`
      SELECT m AS max, ${niceStepSql(Prisma.sql`m`)} AS step
      FROM unnest(${maxima}::float8[]) m`;
    expect(rows.map((r) => [r.max, r.step])).toEqual(maxima.map((max) => [max, niceStep(max)]));
  });

  it("gives the same figures run concurrently on two connections as in one transaction", async () => {
    const node = await newNode();
    const from = new Date(Date.UTC(2023, 5, 1));
    // History from 2023: its month is made as an import's would be.
    await ensurePartitionsFor(t.db, from, from);
    for (let i = 0; i < 30; i++) {
      const event = rebootRecordEvent(
        [unit("web.service", "restarted", 0, 1000 * (i + 1))],
        i % 10 === 9 ? "full-reboot" : "soft-reboot",
      );
      event.phases.agentConnectedUsec = String(2_400_000 + i * 7_000);
      const eventId = `ev-${unique()}`;
      await t.db.$transaction((tx) => storeEvent(tx, node.id, eventId, event));
      await t.db.rebootRecord.updateMany({
        where: { eventId },
        data: { recordedAt: new Date(from.getTime() + i * 3_600_000) },
      });
    }
    const range = { from, to: new Date(from.getTime() + 2 * 86_400_000) };
    const concurrent = await fleetReport(t.db, range);
    const inOne = await t.db.$transaction((tx) => fleetReport(tx, range), { isolationLevel: "RepeatableRead" });
    expect(concurrent).toEqual(inOne);
    expect(concurrent.byType.map((s) => [s.rebootType, s.reboots])).toEqual([
      ["full-reboot", 3],
      ["soft-reboot", 27],
    ]);
    expect(concurrent.slowestServices).toEqual([
      // Soft-reboots only: the full reboots (i = 9, 19, 29) are left out.
      expect.objectContaining({ name: "web.service", restarted: 27, gapN: 27, gapMaxMs: 29 }),
    ]);
  });
});
