import { randomBytes } from "node:crypto";
import { fleetReport, lastDaysRange } from "@softfleet/fleet";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The control process keeps the report page's default range (the last 90 days) ready. */

let t: TestDatabase;
let control: TestControl | undefined;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await control?.stop();
  await t.drop();
});

const DAY_MS = 86_400_000;

describe("the report warmer", () => {
  it("keeps the last 90 days' settled days and span at start, which the report then uses", async () => {
    const node = await t.db.node.create({
      data: {
        machineId: randomBytes(16).toString("hex"),
        hostname: `warm-${randomBytes(3).toString("hex")}`,
        labels: {},
      },
    });
    // A soft-reboot a day over the last 30 days.
    await t.db.$executeRaw`
      INSERT INTO "RebootRecord" (id, "nodeId", "eventId", kind, requested, escalated, "beforeLost", trigger,
        "bootIdAfter", "imageVersionAfter", "signalUsec", "shutdownStartUsec", "userspaceUsec", "finishUsec",
        "agentConnectedUsec", units, "recordedAt")
      SELECT 'warm-' || i, ${node.id}, 'warm-ev-' || i, 'soft-reboot', 'soft-reboot', false, false, 'manual', 'b', '2',
        1000000, 1020000, 1300000, 2200000, 2400000 + i * 1000, '[]', now() - i * interval '1 day'
      FROM generate_series(1, 30) i`;
    const group = await t.db.nodeGroup.create({
      data: { name: `warm-${randomBytes(3).toString("hex")}`, members: { create: [{ nodeId: node.id }] } },
    });
    control = await startTestControl(t);
    const range = lastDaysRange(90);
    const spans = () => t.db.reportSpan.findMany({ where: { scope: "", from: range.from } });
    await until("the 90-day span to be kept", async () => (await spans()).length === 1, 20_000);
    const [span] = await spans();
    expect(span!.from).toEqual(range.from);
    expect(span!.to.getTime()).toBeLessThanOrEqual(range.to.getTime() - DAY_MS);
    expect(await t.db.reportBucket.count({ where: { bucket: "day" } })).toBeGreaterThanOrEqual(88);
    expect(control.output.join("\n")).toMatch(/reports: kept \d+ settled days and their span of the last 90 days/);

    // The page's report finds them kept: it computes nothing more, and counts every reboot.
    const report = await fleetReport(t.db, range);
    expect(report.byType.map((s) => [s.rebootType, s.reboots])).toEqual([["soft-reboot", 30]]);
    expect((await spans()).map((s) => s.computedAt)).toEqual([span!.computedAt]);

    // Then each group's: kept under its scope, which the group's report reads.
    const groupSpans = () => t.db.reportSpan.findMany({ where: { scope: { startsWith: `${group.id}:` } } });
    await until("the group's 90-day span to be kept", async () => (await groupSpans()).length === 1, 20_000);
    expect(control.output.join("\n")).toMatch(/reports: kept the last 90 days of 1 group in \d+ ms/);
    const [kept] = await groupSpans();
    const ofGroup = await fleetReport(t.db, { ...range, groupId: group.id });
    expect(ofGroup.byGroup.map((s) => [s.groupId, s.reboots])).toEqual([[group.id, 30]]);
    expect((await groupSpans()).map((s) => s.computedAt)).toEqual([kept!.computedAt]);
  }, 90_000);
});
