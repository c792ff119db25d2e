import { readFile } from "node:fs/promises";
import { expect, type Locator, test } from "@playwright/test";
import { uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";
import {
  csvNumber,
  figuresOf,
  insertReboots,
  ms,
  parseCsv,
  phasesOf,
  type RebootSpec,
  type ReportType,
  removeInsertedReports,
  typeOf,
  utcDay,
} from "./report-fixtures";

// Wide enough for the report's two columns (xl), so that "side by side" can be seen.
test.use({ locale: "en-US", viewport: { width: 1600, height: 1000 } });
test.afterEach(removeInsertedReports);

const TYPE_LABELS: Record<ReportType, string> = {
  "soft-reboot": "Soft-reboot",
  "full-reboot": "Full reboot",
  kexec: "kexec",
};
const TRIGGER_LABELS = { rollout: "Rollout", manual: "Manual", external: "External" };
const reboots = (n: number) => `${n} ${n === 1 ? "reboot" : "reboots"}`;

// Days no other spec writes to (their records are recorded now): the figures are those of this spec's records alone.
const from = utcDay(-200);
const to = utcDay(-198);
const at = (hours: number) => new Date(new Date(`${from}T00:00:00Z`).getTime() + hours * 3_600_000);

/**
 * Six nodes in two groups (a* and b*): seven soft-reboots (one measured from
 * ShutdownStart as its signal is unknown, one without any total: its state
 * from before the reboot was lost), a full reboot, an escalation (a
 * soft-reboot was asked for, the host rebooted fully) and a kexec. The full
 * reboots' totals are above every soft-reboot's, so mixing them would show.
 */
const REBOOTS: RebootSpec[] = [
  {
    node: "a1",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "rollout",
    at: at(1),
    imageBefore: "e2e-1",
    imageAfter: "e2e-2",
    points: { signal: 1_000_000, shutdownStart: 1_031_250, userspace: 1_540_000, finish: 2_400_000, agent: 2_612_345 },
  },
  {
    node: "a2",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "manual",
    at: at(2),
    imageBefore: "e2e-1",
    imageAfter: "e2e-2",
    points: { signal: 5_000_000, shutdownStart: 5_020_000, userspace: 5_700_000, finish: 6_800_000, agent: 7_010_101 },
  },
  {
    node: "a3",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "external",
    at: at(3),
    imageBefore: "e2e-1",
    imageAfter: "e2e-2",
    points: { signal: 2_000_000, shutdownStart: 2_040_000, userspace: 2_900_000, finish: 4_100_000, agent: 4_455_555 },
  },
  {
    node: "b1",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "rollout",
    at: at(4),
    imageBefore: "e2e-1",
    imageAfter: "e2e-2",
    points: { signal: 3_000_000, shutdownStart: 3_010_000, userspace: 3_600_000, finish: 4_700_000, agent: 4_901_017 },
  },
  {
    node: "b2",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "rollout",
    at: at(5),
    imageBefore: "e2e-1",
    imageAfter: "e2e-2",
    points: { signal: null, shutdownStart: 8_000_000, userspace: 8_700_000, finish: 9_900_000, agent: 10_250_333 },
  },
  {
    node: "b1",
    kind: "soft-reboot",
    requested: "soft-reboot",
    trigger: "manual",
    at: at(26),
    imageBefore: "e2e-2",
    imageAfter: "e2e-2",
    points: { signal: 4_000_000, shutdownStart: 4_030_000, userspace: 4_800_000, finish: 6_900_000, agent: 7_333_789 },
  },
  {
    node: "a1",
    kind: "soft-reboot",
    requested: "soft-reboot",
    beforeLost: true,
    trigger: "external",
    at: at(27),
    imageBefore: "e2e-2",
    imageAfter: "e2e-2",
    points: { signal: null, shutdownStart: null, userspace: 900_000, finish: 1_800_000, agent: 2_000_000 },
  },
  {
    node: "a2",
    kind: "full-reboot",
    requested: "reboot",
    trigger: "manual",
    at: at(28),
    imageBefore: "e2e-2",
    imageAfter: "e2e-2",
    points: { signal: null, shutdownStart: null, userspace: 3_000_000, finish: 9_100_000, agent: 9_400_250 },
  },
  {
    node: "b2",
    kind: "full-reboot",
    requested: "soft-reboot",
    escalated: true,
    trigger: "rollout",
    at: at(29),
    imageBefore: "e2e-2",
    imageAfter: "e2e-3",
    points: { signal: null, shutdownStart: null, userspace: 2_500_000, finish: 8_000_000, agent: 8_123_456 },
  },
  {
    node: "b3",
    kind: "full-reboot",
    requested: "kexec",
    trigger: "external",
    at: at(30),
    imageBefore: "e2e-2",
    imageAfter: "e2e-3",
    points: { signal: null, shutdownStart: null, userspace: 1_500_000, finish: 3_000_000, agent: 3_210_987 },
  },
];

/** The cells of each body row of a table, whitespace collapsed. */
const cellsOf = (rows: Locator) =>
  rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("th, td")].map((cell) => cell.textContent!.replace(/\s+/g, " ").trim())),
  );

test("the fleet report shows each reboot type's figures, the escalation and the groups, and exports the same reboots", async ({
  page,
}) => {
  const suffix = uniqueSuffix();
  const hostname = (key: string) => `e2e-fleet-${suffix}-${key}`;
  const groupA = `e2e fleet A ${suffix}`;
  const groupB = `e2e fleet B ${suffix}`;
  const keys = ["a1", "a2", "a3", "b1", "b2", "b3"];
  const { recordIds } = await insertReboots({
    nodes: Object.fromEntries(keys.map((key) => [key, hostname(key)])),
    groups: { [groupA]: ["a1", "a2", "a3"], [groupB]: ["b1", "b2", "b3"] },
    reboots: REBOOTS,
  });

  await logIn(page, "viewer");
  await page.goto(`/reports?from=${from}&to=${to}`);
  await expect(page.getByRole("heading", { name: "Reports", exact: true })).toBeVisible();

  // Per reboot type: count, how many have a total, and the total's p50 / p95 / max (percentile_cont).
  const types: ReportType[] = ["soft-reboot", "full-reboot", "kexec"];
  const tables = new Map<ReportType, Locator>();
  for (const type of types) {
    const figures = figuresOf(REBOOTS.filter((r) => typeOf(r) === type));
    const table = page.getByRole("table", { name: `${TYPE_LABELS[type]} · ${reboots(figures.reboots)}`, exact: true });
    tables.set(type, table);
    await expect(table.locator('tr[data-phase="totalMs"] td')).toHaveText([
      `${figures.withTotal} of ${figures.reboots}`,
      ms(figures.p50!),
      ms(figures.p95!),
      ms(figures.max!),
    ]);
  }
  const soft = figuresOf(REBOOTS.filter((r) => typeOf(r) === "soft-reboot"));
  // The soft-reboot figures interpolate (p50 between two totals), and mixing in the full reboots would change them.
  expect(soft.withTotal % 2, "an even count: the p50 is interpolated").toBe(0);
  const mixed = figuresOf(REBOOTS.filter((r) => typeOf(r) !== "kexec"));
  expect(ms(mixed.max!)).not.toBe(ms(soft.max!));
  expect(ms(mixed.p50!)).not.toBe(ms(soft.p50!));

  // A full reboot has no shutdown phases (its clock restarted): said so, in its own table only.
  await expect(tables.get("full-reboot")!.locator('tr[data-phase="shutdownMs"]')).toContainText(
    "unknown (full reboot)",
  );
  await expect(tables.get("kexec")!.locator('tr[data-phase="shutdownMs"]')).toContainText("unknown (kexec)");
  await expect(tables.get("soft-reboot")!).not.toContainText("unknown (full reboot)");

  // Soft-reboot and full reboot side by side: the same row, soft-reboot on the left.
  const softBox = (await tables.get("soft-reboot")!.boundingBox())!;
  const fullBox = (await tables.get("full-reboot")!.boundingBox())!;
  expect(Math.abs(softBox.y - fullBox.y)).toBeLessThan(2);
  expect(softBox.x + softBox.width).toBeLessThanOrEqual(fullBox.x);

  // The reboot without a total is explained (in the notes and in the count), not shown as a 0.
  const typesSection = page.getByRole("region", { name: "Soft-reboot, full reboot and kexec side by side" });
  await expect(typesSection).toContainText(
    "1 without a total (1 lost their state from before the reboot; the others reported too few timestamps).",
  );
  await expect(typesSection).not.toContainText(/(^|\D)0 ms/);
  await expect(typesSection).toContainText("1 escalated: a soft-reboot was asked for and the host rebooted fully.");

  // The escalation is listed: its node, trigger, images and total (the new boot only).
  const escalation = REBOOTS.find((r) => r.escalated)!;
  expect(await cellsOf(page.getByRole("table", { name: "Escalations" }).locator("tbody tr"))).toEqual([
    [
      expect.any(String),
      hostname(escalation.node),
      TRIGGER_LABELS[escalation.trigger],
      `${escalation.imageBefore} → ${escalation.imageAfter}`,
      ms(phasesOf(escalation).totalMs!),
    ],
  ]);

  // Each group, each of its reboot types on a row of its own: reboots (and how many lack a total),
  // escalations, the total's p50 / p95 / max.
  const expectedGroups: string[][] = [];
  for (const [group, prefix] of [
    [groupA, "a"],
    [groupB, "b"],
  ] as const) {
    for (const type of types) {
      const specs = REBOOTS.filter((r) => r.node.startsWith(prefix) && typeOf(r) === type);
      if (specs.length === 0) continue;
      const f = figuresOf(specs);
      const without = f.reboots - f.withTotal;
      expectedGroups.push([
        group,
        TYPE_LABELS[type],
        `${f.reboots}${without > 0 ? ` (${without} without total)` : ""}`,
        String(f.escalated),
        ms(f.p50!),
        ms(f.p95!),
        ms(f.max!),
      ]);
    }
  }
  const groupRows = page
    .getByRole("region", { name: "Per group" })
    .locator("tbody tr")
    .filter({ hasText: `e2e fleet ` })
    .filter({ hasText: suffix });
  expect(await cellsOf(groupRows)).toEqual(expectedGroups);

  // The histogram's table counts every reboot that has a total, and no other.
  const counts = await cellsOf(page.getByRole("table", { name: "Distribution of total downtime" }).locator("tbody tr"));
  expect(counts.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(REBOOTS.filter((r) => phasesOf(r).totalMs).length);

  // The CSV download: one row per reboot of the range, with the same type, trigger, phases and total.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`reboots-${from}-${to}.csv`);
  const rows = parseCsv(await readFile((await download.path())!, "utf8"));
  expect(rows.map((row) => row.recordId).sort()).toEqual([...recordIds].sort());
  for (const [index, spec] of REBOOTS.entries()) {
    const row = rows.find((r) => r.recordId === recordIds[index])!;
    const phases = phasesOf(spec);
    expect(
      {
        hostname: row.hostname,
        rebootType: row.rebootType,
        trigger: row.trigger,
        escalated: row.escalated,
        signalToShutdownMs: csvNumber(row.signalToShutdownMs),
        shutdownMs: csvNumber(row.shutdownMs),
        bootMs: csvNumber(row.bootMs),
        reconnectMs: csvNumber(row.reconnectMs),
        totalMs: csvNumber(row.totalMs),
        explained: row.missingTotal !== "",
      },
      `record ${index}`,
    ).toEqual({
      hostname: hostname(spec.node),
      rebootType: typeOf(spec),
      trigger: spec.trigger,
      escalated: String(spec.escalated ?? false),
      ...phases,
      explained: phases.totalMs === null,
    });
  }
  const lost = rows.find((r) => r.recordId === recordIds[REBOOTS.findIndex((r) => r.beforeLost)]);
  expect(lost?.missingTotal).toContain("state from before the reboot was lost");

  // The JSON export holds the same rows.
  const href = await page.getByRole("link", { name: "Export JSON" }).getAttribute("href");
  const json = await page.request.get(href!);
  expect(json.ok()).toBe(true);
  const records = (await json.json()) as Array<Record<string, unknown>>;
  expect(
    records.map((r) => [r.recordId, r.rebootType, r.totalMs]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  ).toEqual(
    rows
      .map((r) => [r.recordId, r.rebootType, csvNumber(r.totalMs)])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  );
});

test("a range without reboots says the report is empty", async ({ page }) => {
  // A reboot just outside the range, on the day after it, must not count.
  const suffix = uniqueSuffix();
  const emptyFrom = utcDay(-300);
  const emptyTo = utcDay(-299);
  await insertReboots({
    nodes: { n: `e2e-fleet-${suffix}-n` },
    reboots: [
      {
        ...REBOOTS[0]!,
        node: "n",
        at: new Date(new Date(`${utcDay(-298)}T00:00:00Z`).getTime()),
      },
    ],
  });
  await logIn(page, "viewer");
  await page.goto("/reports");
  await page.getByLabel("From (UTC day)").fill(emptyFrom);
  await page.getByLabel("To (UTC day, included)").fill(emptyTo);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${emptyFrom}&to=${emptyTo}`));
  await expect(page.getByText("No reboot was recorded in this range: there is nothing to measure.")).toBeVisible();
  await expect(page.getByRole("table", { name: /Soft-reboot ·/ })).toHaveCount(0);

  // Its exports hold no row; the CSV still names its columns.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csv = await readFile((await (await downloading).path())!, "utf8");
  expect(csv).toMatch(/^recordId,recordedAt,nodeId,hostname,.*,totalMs,missingTotal\r\n$/);
  expect(parseCsv(csv)).toEqual([]);
  const json = await page.request.get((await page.getByRole("link", { name: "Export JSON" }).getAttribute("href"))!);
  expect(await json.json()).toEqual([]);

  // One more day and the reboot is there.
  await page.getByLabel("To (UTC day, included)").fill(utcDay(-298));
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("table", { name: "Soft-reboot · 1 reboot", exact: true })).toBeVisible();

  // One click back to a preset range: its dates fill the form, and it is marked as the one shown.
  const ranges = page.getByRole("navigation", { name: "Ranges" });
  await ranges.getByRole("link", { name: "Last year" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${utcDay(-365)}&to=${utcDay(0)}`));
  await expect(page.getByLabel("From (UTC day)")).toHaveValue(utcDay(-365));
  await expect(ranges.getByRole("link", { name: "Last year" })).toHaveAttribute("aria-current", "page");
  await expect(ranges.getByRole("link", { name: "Last 30 days" })).not.toHaveAttribute("aria-current", "page");
});
