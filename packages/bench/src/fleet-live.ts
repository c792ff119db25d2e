/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { cpus } from "node:os";
import type { Browser } from "@playwright/test";
import { createUser } from "@softfleet/api";
import { createPrismaClient } from "@softfleet/db";
import { createRollout } from "@softfleet/fleet";
import { WirePool } from "@softfleet/simagent";
import { provisionNodes } from "@softfleet/testkit/fleet-fixtures";
import { launchBenchBrowser, logIn } from "./bench-browser";
import { batchesPlan } from "./rollouts";
import { startScratchStack, until } from "./scratch-stack";
import { percentile } from "./stats";

const VIEWER = {
  username: "bench-viewer",
  password: "bench viewer password",
  displayName: "Bench",
  role: "viewer",
} as const;
const say = (line: string) => console.error(`[bench fleet-live] ${line}`);
const round = (value: number) => Math.round(value);

/**
 * Runs in each fleet page: when each row first shows "Rebooting", by
 * hostname, in ms since the epoch (the browser and the agents share this
 * machine's clock).
 */
function watchRows() {
  const marks: Record<string, number> = {};
  (window as unknown as { __marks: typeof marks }).__marks = marks;
  new MutationObserver(() => {
    for (const row of document.querySelectorAll("tbody tr")) {
      const host = row.querySelector("a")?.textContent;
      if (host && marks[host] === undefined && row.textContent?.includes("Rebooting")) marks[host] = Date.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

/**
 * Issue 15's goal 5, second part: event to screen p99 ≤ 100 ms with 20
 * browsers open on different pages while a 10% batch soft-reboots, at
 * `nodes` nodes. A whole stack (embedded Postgres, control, web) with
 * wire-level agents that soft-reboot as hosts do; 20 pages, each in a browser context of its own:
 * the fleet's first ten pages of 100 (the first batch's nodes, in hostname
 * order), the fleet filtered to "rebooting now", the fleet sorted by state,
 * the rollouts list, the rollout's page and six node pages. Each fleet page
 * notes when each row first shows "Rebooting"; event to screen is that
 * moment minus when the agent sent logind's signal (the event's wallclock),
 * over the ten pages whose rows stay on them (in hostname order). On the
 * pages filtered to "rebooting now" or sorted by state a row enters only when
 * there is room for it (100 of 1,000 rebooting): those times are reported
 * apart, as when a row entered, not as a latency.
 */
export async function benchFleetLive(nodes = Number(process.env.SOFTFLEET_BENCH_LIVE_NODES ?? 10_000)) {
  if (!Number.isInteger(nodes) || nodes < 100 || nodes > 50_000) {
    throw new Error(`SOFTFLEET_BENCH_LIVE_NODES must be a whole number from 100 to 50000, got "${nodes}"`);
  }
  const pageCount = Number(process.env.SOFTFLEET_BENCH_LIVE_PAGES ?? 20);
  if (!Number.isInteger(pageCount) || pageCount < 2 || pageCount > 20) {
    throw new Error(`SOFTFLEET_BENCH_LIVE_PAGES must be a whole number from 2 to 20, got "${pageCount}"`);
  }
  const { stack, stop } = await startScratchStack("softfleet-bench-fleet-live-", {
    log: (source, line) => {
      if (source === "web" && /error/i.test(line)) console.error(`[web] ${line}`);
    },
  });
  const db = createPrismaClient(stack.database.url);
  let pool: WirePool | undefined;
  let browser: Browser | undefined;
  try {
    const specs = await provisionNodes(db, nodes);
    say(`${nodes} agents connecting`);
    pool = new WirePool(specs, {
      controlUrl: stack.control.url,
      connectConcurrency: 200,
      commands: "reboot",
      staged: "2",
    });
    await pool.start();
    await until(
      async () => (await db.node.count({ where: { status: "online", nextrootImageVersion: "2" } })) === nodes,
      `all ${nodes} nodes online with version 2 staged`,
      300_000,
    );
    await db.$transaction((tx) => createUser(tx, VIEWER));
    const user = await db.user.findUniqueOrThrow({ where: { username: VIEWER.username } });
    const group = await db.nodeGroup.create({
      data: { name: "all", members: { create: specs.map((s) => ({ nodeId: s.nodeId })) } },
    });
    const batch = Math.ceil(nodes / 10);
    const hosts = [...specs].sort((a, b) => a.hostname.localeCompare(b.hostname));

    browser = await launchBenchBrowser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await logIn(context, stack.web.url, VIEWER);
    const session = await context.storageState();
    /**
     * Each page in a browser of its own (a context: its own connections). In one browser, pages of
     * one origin share six HTTP/1.1 connections, and each live page holds one open.
     */
    const browse = async (path: string) => {
      const own = await browser!.newContext({ viewport: { width: 1280, height: 800 }, storageState: session });
      await own.addInitScript({ content: `var __name = (f) => f;\n(${watchRows.toString()})();` });
      const page = await own.newPage();
      await page.goto(`${stack.web.url}${path}`, { timeout: 120_000 });
      return page;
    };

    const plan = batchesPlan(batch, "2");
    const fleetPages = [
      ...Array.from({ length: 10 }, (_, i) => `/fleet?pageSize=100&page=${i + 1}`),
      "/fleet?status=rebooting&pageSize=100",
      "/fleet?sort=status&pageSize=100",
    ];
    const otherPages = ["/rollouts", ...hosts.slice(0, 6).map((h) => `/nodes/${h.nodeId}`)];
    // SOFTFLEET_BENCH_LIVE_PAGES (default 20, the rollout's page included) opens fewer: the first ones.
    const open = [...fleetPages, ...otherPages].slice(0, Math.max(1, pageCount - 1));
    const pages = [];
    for (const path of open) {
      const page = await browse(path);
      await page.getByText("Live", { exact: true }).first().waitFor({ timeout: 60_000 });
      pages.push({ path, page });
    }
    say(`${pages.length} pages open and live; starting a rollout in batches of ${batch}`);
    const { rollout } = await db.$transaction(
      (tx) => createRollout(tx, { groupId: group.id, plan, user: { id: user.id, name: user.username } }),
      { timeout: 120_000 },
    );
    const rolloutPage = await browse(`/rollouts/${rollout.id}`);
    pages.push({ path: "/rollouts/<id>", page: rolloutPage });

    // The first batch: its nodes go down and come back.
    const firstBatch = await db.rolloutNode.findMany({
      where: { rolloutId: rollout.id, batchIndex: 0 },
      select: { nodeId: true, hostname: true },
    });
    // Every node of the first batch has sent logind's signal; then the pages get a moment to show the last ones.
    const firstIds = firstBatch.map((n) => n.nodeId);
    await until(
      async () =>
        (await db.nodeEvent.count({ where: { nodeId: { in: firstIds }, type: "shutdown-signal" } })) >=
        firstBatch.length,
      "every node of the first batch to send logind's signal",
      600_000,
      500,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const signals = await db.nodeEvent.findMany({
      where: { nodeId: { in: firstIds }, type: "shutdown-signal" },
      select: { nodeId: true, payload: true, receivedAt: true },
    });
    // Where the time goes: the agent's signal to the event stored (the server's side of it).
    const stored = signals.map(
      (s) => s.receivedAt.getTime() - Date.parse((s.payload as { wallclock: string }).wallclock),
    );
    const sentAt = new Map(
      signals.map((s) => [
        firstBatch.find((n) => n.nodeId === s.nodeId)!.hostname,
        Date.parse((s.payload as { wallclock: string }).wallclock),
      ]),
    );
    say(`the first batch's ${firstBatch.length} nodes have signalled; reading what each page saw`);
    const eventToScreen: number[] = [];
    const entering: number[] = [];
    const perPage: Record<string, number> = {};
    for (const { path, page } of pages.filter((p) => p.path.startsWith("/fleet"))) {
      const marks =
        (await page.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks)) ?? {};
      let seen = 0;
      for (const [host, at] of Object.entries(marks)) {
        const sent = sentAt.get(host);
        if (sent === undefined) continue;
        (/status=|sort=status/.test(path) ? entering : eventToScreen).push(at - sent);
        seen++;
      }
      perPage[path] = seen;
    }
    const result = {
      name: `event to screen with ${pages.length} pages open while a batch of ${batch.toLocaleString("en")} of ${nodes.toLocaleString("en")} nodes soft-reboots`,
      cores: cpus().length,
      goalP99Ms: 100,
      definition:
        "from the wire agent's logind signal (the event's wallclock, when it was spooled and sent) to the moment a fleet page's row first shows Rebooting (MutationObserver, Date.now())",
      samples: eventToScreen.length,
      eventToScreenMs: {
        p50: round(percentile(eventToScreen, 50)),
        p99: round(percentile(eventToScreen, 99)),
        max: round(Math.max(...eventToScreen)),
      },
      enteringFilteredPagesMs:
        entering.length === 0
          ? null
          : {
              samples: entering.length,
              p50: round(percentile(entering, 50)),
              p99: round(percentile(entering, 99)),
              max: round(Math.max(...entering)),
            },
      signalToStoredMs: {
        p50: round(percentile(stored, 50)),
        p99: round(percentile(stored, 99)),
        max: round(Math.max(...stored)),
      },
      rowsSeenRebootingPerFleetPage: perPage,
      firstBatchNodes: firstBatch.length,
    };
    say(
      `event to screen over ${result.samples} rows: p50 ${result.eventToScreenMs.p50} ms, p99 ${result.eventToScreenMs.p99} ms, max ${result.eventToScreenMs.max} ms (of it, signal to stored: p50 ${result.signalToStoredMs.p50} ms, p99 ${result.signalToStoredMs.p99} ms)`,
    );
    return result;
  } finally {
    await browser?.close();
    pool?.stop();
    await db.$disconnect();
    await stop();
  }
}
