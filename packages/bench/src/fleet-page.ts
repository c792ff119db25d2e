/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { join } from "node:path";
import type { Browser } from "@playwright/test";
import { createUser } from "@softfleet/api";
import { createPrismaClient, parseDatabaseUrl } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import { generateFleet } from "@softfleet/testkit/fleet-fixtures";
import pg from "pg";
import { launchBenchBrowser, logIn } from "./bench-browser";
import { startScratchStack } from "./scratch-stack";
import { percentile } from "./stats";

const VIEWER = {
  username: "bench-viewer",
  password: "bench viewer password",
  displayName: "Bench",
  role: "viewer",
} as const;
const GOAL_MS = 1500;

interface PageTimes {
  rowsMs?: number;
  interactiveMs?: number;
  longTasksMs?: number;
}

/**
 * Runs in the page before its scripts: the moment the fleet page is
 * interactive, the first moment when (1) its table shows rows and the pager
 * says how many match, (2) its controls are hydrated (React's handlers on the
 * "Next" button and the status chips), and (3) a task posted after the next
 * painted frame has run (the main thread is free for a click).
 */
function whenInteractive() {
  const times: PageTimes = {};
  (window as unknown as { __fleet: PageTimes }).__fleet = times;
  let longTasks = 0;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (times.interactiveMs === undefined) longTasks += entry.duration;
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // no long task timing: the sum stays 0
  }
  const hydrated = (element: Element | undefined) =>
    !!element && Object.keys(element).some((key) => key.startsWith("__reactProps"));
  const ready = () => {
    const rows = document.querySelectorAll('table[aria-busy="false"] tbody tr').length;
    const pager = document.querySelector('nav[aria-label="Pages"] [role="status"]')?.textContent ?? "";
    const next = [...document.querySelectorAll("nav button")].find((b) => b.textContent === "Next");
    const chip = document.querySelector("fieldset button[aria-pressed]") ?? undefined;
    return rows > 0 && /^Nodes [\d,]+–\d/.test(pager) && hydrated(next) && hydrated(chip);
  };
  const observer = new MutationObserver(() => {
    if (!ready()) return;
    observer.disconnect();
    times.rowsMs = performance.now();
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        times.longTasksMs = longTasks;
        times.interactiveMs = performance.now();
      };
      channel.port2.postMessage(null);
    });
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}

const round = (value: number) => Math.round(value);
const figures = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  max: round(Math.max(...values)),
});

/**
 * Issue 15's goal 5, first part: the fleet page at 10,000 nodes is
 * interactive in ≤ 1.5 s. A whole stack (embedded Postgres, control, web in
 * production mode) holding `nodes` nodes in ten groups with `records` reboot
 * records (generateFleet); a real Chromium, logged in as a viewer, opens
 * /fleet `runs` times after one warm-up load (and a filtered view as often),
 * each measured in the page from navigation start to interactive. It keeps a
 * screenshot of the page (bench-results/fleet-page-<nodes>.png) to be looked
 * at as a person would.
 */
export async function benchFleetPage(options: { nodes?: number; records?: number; runs?: number } = {}) {
  const { nodes = 10_000, records = 100_000, runs = 12 } = options;
  const say = (line: string) => console.error(`[bench fleet-page] ${line}`);
  say(`starting a stack and writing ${nodes.toLocaleString("en")} nodes, ${records.toLocaleString("en")} records`);
  const { stack, stop } = await startScratchStack("softfleet-bench-fleet-page-", {
    log: (source, line) => {
      if (source === "web" && /error/i.test(line)) console.error(`[web] ${line}`);
    },
  });
  const db = createPrismaClient(stack.database.url);
  let browser: Browser | undefined;
  try {
    browser = await launchBenchBrowser();
    const client = new pg.Client(parseDatabaseUrl(stack.database.ownerUrl));
    await client.connect();
    try {
      await generateFleet(client, nodes, records);
      // A fleet as it looks in the middle of a rollout: some rebooting, some offline, version 43 staged on a tenth.
      await client.query(`
        UPDATE "Node" SET
          status = (CASE WHEN n % 50 = 0 THEN 'rebooting' WHEN n % 97 = 0 THEN 'offline' ELSE 'online' END)::"NodeStatus",
          "nextrootStaged" = n % 10 = 1, "nextrootImageVersion" = CASE WHEN n % 10 = 1 THEN '43' END,
          "softRebootsCount" = n % 7, "lastSeenAt" = now() - (n % 30) * interval '1 second'
        FROM (SELECT id, substring(id FROM 6)::int AS n FROM "Node") x WHERE x.id = "Node".id`);
      await client.query(`
        INSERT INTO "NodeGroupMember" ("groupId", "nodeId")
        SELECT 'group-' || (substring(id FROM 6)::int % 10), id FROM "Node"`);
      await client.query("ANALYZE");
    } finally {
      await client.end();
    }
    await db.$transaction((tx) => createUser(tx, VIEWER));

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript({ content: `var __name = (f) => f;\n(${whenInteractive.toString()})();` });
    await logIn(context, stack.web.url, VIEWER);

    const views = {
      fleet: `${stack.web.url}/fleet`,
      filtered: `${stack.web.url}/fleet?status=online&label=zone%3Dz3&sort=lastSeen&dir=desc&page=3`,
    };
    const results: Record<string, { interactiveMs: number[]; rowsMs: number[]; longTasksMs: number[]; kb: number[] }> =
      {};
    for (const [view, url] of Object.entries(views)) {
      const loads = {
        interactiveMs: [] as number[],
        rowsMs: [] as number[],
        longTasksMs: [] as number[],
        kb: [] as number[],
      };
      for (let run = 0; run <= runs; run++) {
        const page = await context.newPage();
        try {
          await page.goto(url, { waitUntil: "commit" });
          const handle = await page
            .waitForFunction(
              () => {
                const times = (window as unknown as { __fleet?: PageTimes }).__fleet;
                return times?.interactiveMs !== undefined ? times : null;
              },
              undefined,
              { timeout: 60_000, polling: 50 },
            )
            .catch(async (error: Error) => {
              const shown = await page.evaluate(() => document.body?.textContent?.slice(0, 600)).catch(() => "?");
              throw new Error(
                `${view} view at ${url} never became interactive: ${error.message}; the page shows: ${shown}`,
              );
            });
          const times = (await handle.jsonValue()) as PageTimes;
          const kb = await page.evaluate(() => {
            const entry = performance.getEntriesByType("resource").find((e) => e.name.includes("nodes.page")) as
              | PerformanceResourceTiming
              | undefined;
            return entry ? entry.decodedBodySize / 1024 : Number.NaN;
          });
          if (run === 0 && view === "fleet") {
            await page.waitForTimeout(500);
            const shot = join(repoRoot(), "bench-results", `fleet-page-${nodes}.png`);
            await page.screenshot({ path: shot, fullPage: false });
            say(`screenshot: ${shot}`);
          }
          if (run > 0) {
            loads.interactiveMs.push(times.interactiveMs!);
            loads.rowsMs.push(times.rowsMs!);
            loads.longTasksMs.push(times.longTasksMs ?? 0);
            loads.kb.push(kb);
          }
          say(
            `${view} load ${run === 0 ? "warm-up" : run}: interactive at ${round(times.interactiveMs!)} ms (page data ${round(kb)} kB)`,
          );
        } finally {
          await page.close();
        }
      }
      results[view] = loads;
    }
    await context.close();
    const summary = Object.fromEntries(
      Object.entries(results).map(([view, loads]) => [
        view,
        {
          url: views[view as keyof typeof views].replace(stack.web.url, ""),
          interactiveMs: figures(loads.interactiveMs),
          rowsShownMs: figures(loads.rowsMs),
          pageLongTasksMs: figures(loads.longTasksMs),
          pageDataKb: round(loads.kb[0] ?? Number.NaN),
          meetsGoal: percentile(loads.interactiveMs, 95) <= GOAL_MS,
        },
      ]),
    );
    return {
      name: `fleet page interactive over ${nodes.toLocaleString("en")} nodes (${records.toLocaleString("en")} reboot records)`,
      definition:
        "navigation start to the first moment the table shows rows, the pager its count, the Next button and the status chips are hydrated, and a task posted after the next painted frame has run",
      goalP95Ms: GOAL_MS,
      runs,
      views: summary,
      screenshot: `bench-results/fleet-page-${nodes}.png`,
    };
  } finally {
    await browser?.close();
    await db.$disconnect();
    await stop();
  }
}
