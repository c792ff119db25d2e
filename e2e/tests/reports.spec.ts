import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { createPrismaClient } from "@softfleet/db";
import { uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";
import { parseCsv } from "./report-fixtures";

test.use({ locale: "en-US" });

/** What this spec inserted, removed after each test (other specs expect an empty fleet). */
const inserted = { nodeIds: [] as string[], rolloutIds: [] as string[] };

test.afterEach(async () => {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    await db.rollout.deleteMany({ where: { id: { in: inserted.rolloutIds } } });
    await db.node.deleteMany({ where: { id: { in: inserted.nodeIds } } });
    inserted.nodeIds = [];
    inserted.rolloutIds = [];
  } finally {
    await db.$disconnect();
  }
});

type Reboot = { kind: "soft-reboot" | "full-reboot"; usec: [bigint | null, bigint | null, bigint, bigint, bigint] };

/** A finished rollout of four nodes: three rebooted (one fully, escalated), one failed without a record. */
async function insertFinishedRollout(suffix: string) {
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    const rollout = await db.rollout.create({
      data: {
        groupName: `e2e reports ${suffix}`,
        status: "completed",
        plan: {},
        createdByName: "e2e",
        finishedAt: new Date(),
        batches: {
          create: [
            { index: 0, kind: "canary", status: "done" },
            { index: 1, kind: "batch", status: "done" },
          ],
        },
      },
    });
    inserted.rolloutIds.push(rollout.id);
    const plan: Array<{ name: string; batch: number; status: string; reason?: string; reboot?: Reboot }> = [
      {
        name: "a",
        batch: 0,
        status: "succeeded",
        reboot: { kind: "soft-reboot", usec: [5_000_000n, 5_012_345n, 5_912_345n, 7_012_345n, 7_100_001n] },
      },
      {
        name: "b",
        batch: 1,
        status: "succeeded",
        reboot: { kind: "soft-reboot", usec: [9_000_000n, 9_020_000n, 9_820_000n, 11_020_000n, 11_150_500n] },
      },
      {
        name: "c",
        batch: 1,
        status: "succeeded",
        reboot: { kind: "full-reboot", usec: [null, null, 3_000_000n, 9_000_000n, 9_250_000n] },
      },
      { name: "d", batch: 1, status: "failed", reason: "node is offline" },
    ];
    const hosts: Record<string, string> = {};
    let position = 0;
    for (const entry of plan) {
      const hostname = `e2e-report-${suffix}-${entry.name}`;
      hosts[entry.name] = hostname;
      const node = await db.node.create({
        data: { machineId: randomBytes(16).toString("hex"), hostname, status: "online", simulated: entry.name === "b" },
      });
      inserted.nodeIds.push(node.id);
      const commandId = entry.reboot ? `e2e-cmd-${randomBytes(6).toString("hex")}` : null;
      await db.rolloutNode.create({
        data: {
          rolloutId: rollout.id,
          nodeId: node.id,
          position: position++,
          batchIndex: entry.batch,
          hostname,
          status: entry.status,
          reason: entry.reason ?? null,
          commandId,
          active: false,
        },
      });
      if (entry.reboot) {
        const [signalUsec, shutdownStartUsec, userspaceUsec, finishUsec, agentConnectedUsec] = entry.reboot.usec;
        await db.rebootRecord.create({
          data: {
            nodeId: node.id,
            eventId: `e2e-ev-${randomBytes(6).toString("hex")}`,
            kind: entry.reboot.kind,
            requested: "soft-reboot",
            escalated: entry.reboot.kind === "full-reboot",
            beforeLost: false,
            trigger: "rollout",
            commandId,
            bootIdAfter: "e2e",
            imageVersionBefore: "e2e-1",
            imageVersionAfter: "e2e-2",
            signalUsec,
            shutdownStartUsec,
            userspaceUsec,
            finishUsec,
            agentConnectedUsec,
            units: [
              {
                name: "db.service",
                outcome: "survived",
                invocationIdBefore: "x",
                invocationIdAfter: "x",
                inactiveEnterUsec: null,
                activeEnterUsec: null,
              },
            ],
          },
        });
      }
    }
    // The figures as Postgres computes them from the stored records, independently of the report's code.
    const totals = await db.$queryRaw<Array<{ hostname: string; total: number }>>`
      SELECT n.hostname,
        (CASE WHEN r.kind = 'soft-reboot' THEN r."agentConnectedUsec" - r."signalUsec"
              ELSE r."agentConnectedUsec" - r."userspaceUsec" END)::float8 / 1000 AS total
      FROM "RebootRecord" r JOIN "Node" n ON n.id = r."nodeId" WHERE n.id = ANY(${inserted.nodeIds})`;
    const [soft] = await db.$queryRaw<Array<{ p50: number; p95: number; max: number }>>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY t) AS p95, max(t) AS max
      FROM (SELECT (r."agentConnectedUsec" - r."signalUsec")::float8 / 1000 AS t FROM "RebootRecord" r
            WHERE r."nodeId" = ANY(${inserted.nodeIds}) AND r.kind = 'soft-reboot') s`;
    return { rolloutId: rollout.id, hosts, totals: new Map(totals.map((t) => [t.hostname, t.total])), soft: soft! };
  } finally {
    await db.$disconnect();
  }
}

const ms = (value: number) => `${value.toLocaleString("en-US", { maximumFractionDigits: 3 })} ms`;

test("a rollout report shows the database's figures and exports the same rows", async ({ page }) => {
  const suffix = uniqueSuffix();
  const { rolloutId, hosts, totals, soft } = await insertFinishedRollout(suffix);

  await logIn(page, "viewer");
  await page.goto(`/reports/rollouts/${rolloutId}`);
  await expect(page.getByRole("heading", { name: `Downtime of the rollout of e2e reports ${suffix}` })).toBeVisible();
  await expect(page.getByTestId("outcome-summary")).toHaveText("4 nodes: 3 done, 1 failed, 0 skipped.");

  // Every node's total, as the database gives it; the failed one says why it has none.
  const nodes = page.getByRole("table", { name: "Nodes by total downtime" });
  for (const name of ["a", "b", "c"]) {
    const row = nodes.locator(`tr[data-node="${hosts[name]}"]`);
    await expect(row.getByTestId("node-total")).toContainText(ms(totals.get(hosts[name]!)!));
  }
  await expect(nodes.locator(`tr[data-node="${hosts.b}"]`)).toContainText("simulated");
  const full = nodes.locator(`tr[data-node="${hosts.c}"]`);
  await expect(full).toContainText("escalated");
  await expect(full).toContainText("unknown (full reboot)");
  await expect(nodes.locator(`tr[data-node="${hosts.d}"]`)).toContainText(
    "No reboot record: the node failed: node is offline",
  );
  // Slowest first: the rows follow the totals.
  const order = await nodes.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-node")));
  expect(order).toEqual([...[...totals.entries()].sort((x, y) => y[1] - x[1]).map(([host]) => host), hosts.d]);
  // The charts (loaded after the figures) draw a bar per node that rebooted, slowest first.
  const bars = page.getByRole("figure", { name: "Phases per node" });
  await expect(bars.locator(".recharts-bar-rectangle").first()).toBeVisible();
  const labels = await bars.locator("text").allTextContents();
  expect(labels.filter((label) => label.startsWith(`e2e-report-${suffix}`))).toEqual(order.slice(0, 3));
  await expect(
    page.getByRole("figure", { name: "Distribution of total downtime" }).locator(".recharts-bar-rectangle").first(),
  ).toBeVisible();

  // The whole rollout's soft-reboot totals: p50 / p95 / max as percentile_cont gives them.
  const softStats = page.getByRole("table", { name: /Whole rollout · 2 soft-reboots/ });
  const totalRow = softStats.locator('tr[data-phase="totalMs"]');
  await expect(totalRow).toContainText(ms(soft.p50));
  await expect(totalRow).toContainText(ms(soft.p95));
  await expect(totalRow).toContainText(ms(soft.max));
  await expect(page.getByRole("table", { name: /Whole rollout · 1 full reboots/ })).toContainText(
    "unknown (full reboot)",
  );

  // The CSV download holds one row per node with the same totals.
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`rollout-${rolloutId}.csv`);
  const rows = parseCsv(await readFile((await download.path())!, "utf8"));
  expect(rows.map((r) => r.hostname).sort()).toEqual(Object.values(hosts).sort());
  for (const row of rows) {
    const expected = totals.get(row.hostname!);
    expect(row.totalMs === "" ? null : Number(row.totalMs), row.hostname).toBe(expected ?? null);
  }
  expect(rows.find((r) => r.hostname === hosts.d)?.missingTotal).toBe(
    "No reboot record: the node failed: node is offline",
  );

  const json = await page.request.get(`/reports/rollouts/${rolloutId}/export?format=json`);
  expect(json.ok()).toBe(true);
  expect(((await json.json()) as unknown[]).length).toBe(4);
});
