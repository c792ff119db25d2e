/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { rm } from "node:fs/promises";
import { chromium } from "@playwright/test";
import { createUser } from "@softfleet/api";
import { createPrismaClient } from "@softfleet/db";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { execIn, waitUntilRunning } from "@softfleet/lab";
import { startLabFleet } from "../lab-fleet";
import { startStack } from "../stack";
import { percentile } from "./stats";

const ADMIN = { username: "bench", password: "bench password 123", displayName: "Bench", role: "admin" } as const;

/**
 * On real lab nodes, soft-reboot after soft-reboot through logind and measure:
 * - event to screen: the node's PrepareForShutdownWithMetadata (the agent's
 *   wall clock when the signal arrived; nodes share the host's clock) to the
 *   moment the node's row on the Fleet page shows it rebooting, in a real
 *   Chromium watching with a MutationObserver;
 * - the agent's own added delay to each shutdown (its log: signal received to
 *   delay lock released);
 * - the agent's memory (VmRSS) once idle.
 */
export async function benchLabReboots(reboots = 20, nodeCount = 2) {
  const dataDir = await makeScratchDir("softfleet-bench-lab-");
  const stack = await startStack({
    root: repoRoot(),
    dataDir,
    pgPort: await freePort(),
    host: "127.0.0.1",
    webPort: await freePort(),
    controlPort: await freePort(),
    ephemeral: true,
  });
  const db = createPrismaClient(stack.database.url);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  let fleet: Awaited<ReturnType<typeof startLabFleet>> | undefined;
  try {
    await db.$transaction((tx) => createUser(tx, ADMIN));
    fleet = await startLabFleet({
      databaseUrl: stack.database.url,
      controlUrl: stack.control.url,
      nodes: nodeCount,
      firstIndex: 31,
      label: "benchmark",
    });
    const names = fleet.nodes.map((n) => n.name);
    await until(
      async () => (await db.node.count({ where: { hostname: { in: names }, status: "online" } })) === nodeCount,
    );

    const page = await browser.newPage();
    await page.goto(`${stack.web.url}/login`);
    await page.getByLabel("Username").fill(ADMIN.username);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Fleet", exact: true }).waitFor();
    await page.getByText("Live", { exact: true }).waitFor();
    // Records when each row first shows "Rebooting", by host, in the browser's clock (the host's).
    await page.evaluate((hosts) => {
      const marks: Record<string, number[]> = {};
      const seen = new Set<string>();
      (window as unknown as { __marks: typeof marks }).__marks = marks;
      new MutationObserver(() => {
        for (const row of document.querySelectorAll("tr")) {
          const host = hosts.find((h) => row.textContent?.includes(h));
          if (!host) continue;
          const rebooting = row.textContent?.includes("Rebooting") ?? false;
          if (rebooting && !seen.has(host)) {
            seen.add(host);
            marks[host] = [...(marks[host] ?? []), Date.now()];
          } else if (!rebooting) seen.delete(host);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, names);

    const eventToScreenMs: number[] = [];
    for (let i = 0; i < reboots; i++) {
      const name = names[i % names.length]!;
      const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
      const since = new Date();
      const result = await execIn(name, ["systemctl", "soft-reboot"]);
      if (result.exitCode !== 0) throw new Error(`${name}: systemctl soft-reboot failed: ${result.stderr}`);
      const event = await until(() =>
        db.nodeEvent.findFirst({
          where: { nodeId: node.id, type: "shutdown-signal", receivedAt: { gte: since } },
          orderBy: { receivedAt: "desc" },
        }),
      );
      const signalAt = Date.parse((event.payload as { wallclock: string }).wallclock);
      const marks = await until(async () => {
        const all = await page.evaluate(() => (window as unknown as { __marks: Record<string, number[]> }).__marks);
        return all[name]?.find((t) => t >= signalAt - 1) ? all[name] : null;
      });
      eventToScreenMs.push(marks.find((t) => t >= signalAt - 1)! - signalAt);
      await waitUntilRunning(name);
      await until(() => db.node.findFirst({ where: { id: node.id, status: "online", connectedAt: { gte: since } } }));
    }

    const addedDelayMs: number[] = [];
    const rssMb: number[] = [];
    await new Promise((r) => setTimeout(r, 10_000));
    for (const name of names) {
      const log = await execIn(name, ["journalctl", "-u", "softfleet-agent", "--no-pager", "-o", "cat"]);
      for (const match of log.stdout.matchAll(/shutdown signal reported .*addedDelayMs=([\d.]+)/g)) {
        addedDelayMs.push(Number(match[1]));
      }
      const pid = (await execIn(name, ["systemctl", "show", "-P", "MainPID", "softfleet-agent"])).stdout.trim();
      const status = await execIn(name, ["cat", `/proc/${pid}/status`]);
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status.stdout)?.[1]);
      rssMb.push(Math.round((kb / 1024) * 10) / 10);
    }
    const summary = (values: number[]) => ({
      n: values.length,
      p50: round(percentile(values, 50)),
      p99: round(percentile(values, 99)),
      max: round(Math.max(...values)),
    });
    return {
      name: `lab: ${reboots} soft-reboots on ${nodeCount} real nodes`,
      eventToScreenMs: { ...summary(eventToScreenMs), goalP99: 100 },
      agentAddedShutdownDelayMs: { ...summary(addedDelayMs), goalP99: 20 },
      agentIdleRssMb: { perNode: rssMb, goalMax: 60 },
    };
  } finally {
    await browser.close();
    await fleet?.stop();
    await db.$disconnect();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

async function until<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("timed out");
}
