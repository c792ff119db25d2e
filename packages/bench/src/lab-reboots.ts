/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { chromium } from "@playwright/test";
import { createUser } from "@softfleet/api";
import { createPrismaClient } from "@softfleet/db";
import { execIn, waitUntilRunning } from "@softfleet/lab";
import { startLabFleet } from "@softfleet/launcher/lab";
import { startScratchStack, until } from "./scratch-stack";
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
  const { stack, caFile, stop } = await startScratchStack("softfleet-bench-lab-", { lab: true });
  const db = createPrismaClient(stack.database.url);
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  let fleet: Awaited<ReturnType<typeof startLabFleet>> | undefined;
  try {
    // Inside the try: a browser that fails to launch must not leave the stack running.
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
    await db.$transaction((tx) => createUser(tx, ADMIN));
    fleet = await startLabFleet({
      databaseUrl: stack.database.url,
      controlUrl: stack.control.url,
      caFile,
      nodes: nodeCount,
      firstIndex: 31,
      label: "benchmark",
    });
    const names = fleet.nodes.map((n) => n.name);
    await until(
      async () => (await db.node.count({ where: { hostname: { in: names }, status: "online" } })) === nodeCount,
      "the nodes to come online",
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

    const lastRebootAt = new Map<string, number>();
    // Per soft-reboot ("host finishUsec"): the agent process's start, on the node's monotonic clock.
    const agentStarts = new Map<string, bigint>();
    /** One soft-reboot through logind; resolves with logind's signal as the agent stored it, once the node is back. */
    async function softReboot(name: string, label: string, whileDown?: (signalAt: number) => Promise<void>) {
      const node = await db.node.findFirstOrThrow({ where: { hostname: name } });
      // systemd refuses a unit started more than 5 times in 10 s (StartLimitBurst), the
      // soft-reboot's too: no node is soft-rebooted more often than every 3 s.
      const wait = (lastRebootAt.get(name) ?? 0) + 3000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastRebootAt.set(name, Date.now());
      const since = new Date();
      const result = await execIn(name, ["systemctl", "soft-reboot"]);
      if (result.exitCode !== 0) throw new Error(`${name}: systemctl soft-reboot failed: ${result.stderr}`);
      const event = await until(
        () =>
          db.nodeEvent.findFirst({
            where: { nodeId: node.id, type: "shutdown-signal", receivedAt: { gte: since } },
            orderBy: { receivedAt: "desc" },
          }),
        `${name}'s shutdown signal (${label})`,
      );
      await whileDown?.(Date.parse((event.payload as { wallclock: string }).wallclock));
      await waitUntilRunning(name);
      await until(
        () => db.node.findFirst({ where: { id: node.id, status: "online", connectedAt: { gte: since } } }),
        `${name} to come back online (${label})`,
      );
      // When the agent's process started in the new userspace, beside systemd's Finish of that boot.
      const shown = await execIn(name, [
        "sh",
        "-c",
        "systemctl show -P FinishTimestampMonotonic; systemctl show -P ExecMainStartTimestampMonotonic softfleet-agent",
      ]);
      const [finish, agentStart] = shown.stdout.trim().split("\n");
      if (finish && agentStart) agentStarts.set(`${name} ${finish}`, BigInt(agentStart));
      done++;
      if (done % 10 === 0 || done === 2 * reboots) {
        console.error(`[bench lab-reboots] ${done} of ${2 * reboots} soft-reboots done (${label} on ${name})`);
      }
    }
    let done = 0;

    // 1. With the Fleet page open in a browser: event to screen, and the agent's delay meanwhile.
    const eventToScreenMs: number[] = [];
    for (let i = 0; i < reboots; i++) {
      const name = names[i % names.length]!;
      await softReboot(name, `reboot ${i + 1}`, async (signalAt) => {
        const marks = await until(
          async () => {
            const all = await page.evaluate(() => (window as unknown as { __marks: Record<string, number[]> }).__marks);
            return all[name]?.find((t) => t >= signalAt - 1) ? all[name] : null;
          },
          `${name}'s row to show Rebooting (reboot ${i + 1})`,
        );
        eventToScreenMs.push(marks.find((t) => t >= signalAt - 1)! - signalAt);
      });
    }
    const phase1 = await agentDelays(names);
    const withBrowser = flatten(phase1);
    // 2. The same without a browser on the same two cores: the agent's delay alone.
    await page.close();
    for (let i = 0; i < reboots; i++) await softReboot(names[i % names.length]!, `reboot ${reboots + i + 1}`);
    await new Promise((r) => setTimeout(r, 10_000));
    // Per node, the lines after those of the first phase.
    const alone = flatten(
      new Map(
        [...(await agentDelays(names))].map(([name, d]) => {
          const skip = phase1.get(name)?.addedDelayMs.length ?? 0;
          const after = (values: number[]) => values.slice(skip);
          const delays: Delays = {
            addedDelayMs: after(d.addedDelayMs),
            sentMs: after(d.sentMs),
            ackMs: after(d.ackMs),
            reapedMs: after(d.reapedMs),
          };
          return [name, delays];
        }),
      ),
    );
    const rssMb: number[] = [];
    const peakRssMb: number[] = [];
    const settledRssMb: number[] = [];
    const readStatus = async (name: string) => {
      const pid = (await execIn(name, ["systemctl", "show", "-P", "MainPID", "softfleet-agent"])).stdout.trim();
      const status = await execIn(name, ["cat", `/proc/${pid}/status`]);
      return (field: string) =>
        Math.round((Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status.stdout)?.[1]) / 1024) * 10) / 10;
    };
    for (const name of names) {
      const mb = await readStatus(name);
      rssMb.push(mb("VmRSS"));
      // VmHWM: this agent process's peak, which spans its start in a new userspace and its reboot report.
      peakRssMb.push(mb("VmHWM"));
    }
    // And once settled: a minute after its last reboot, as on a host between updates.
    await new Promise((r) => setTimeout(r, 50_000));
    for (const name of names) settledRssMb.push((await readStatus(name))("VmRSS"));
    // Per soft-reboot: the agent connected again minus systemd's FinishTimestamp (negative: before it).
    const records = await db.rebootRecord.findMany({
      where: { node: { hostname: { in: names } }, kind: "soft-reboot", finishUsec: { not: null } },
      select: {
        agentConnectedUsec: true,
        finishUsec: true,
        shutdownStartUsec: true,
        signalUsec: true,
        node: { select: { hostname: true } },
      },
    });
    const connectedAfterFinishMs = records.map((r) => Number(r.agentConnectedUsec - r.finishUsec!) / 1000);
    // Split in two: how late the agent's process starts (against Finish), and its own start-up to connected.
    const timed = records.flatMap((r) => {
      const start = agentStarts.get(`${r.node.hostname} ${r.finishUsec}`);
      return start === undefined ? [] : [{ ...r, start }];
    });
    const agentStartMinusFinishMs = timed.map((r) => Number(r.start - r.finishUsec!) / 1000);
    const agentStartToConnectedMs = timed.map((r) => Number(r.agentConnectedUsec - r.start) / 1000);
    const systemdMs = records.flatMap((r) =>
      r.shutdownStartUsec === null ? [] : [Number(r.finishUsec! - r.shutdownStartUsec) / 1000],
    );
    const agentMs = records.flatMap((r) =>
      r.signalUsec === null ? [] : [Number(r.agentConnectedUsec - r.signalUsec) / 1000],
    );
    const summary = (values: number[]) => ({
      n: values.length,
      p50: round(percentile(values, 50)),
      p99: round(percentile(values, 99)),
      max: round(Math.max(...values)),
    });
    return {
      name: `lab: 2 x ${reboots} soft-reboots on ${nodeCount} real nodes (with, then without, a browser watching)`,
      eventToScreenMs: { ...summary(eventToScreenMs), goalP99: 100 },
      agentAddedShutdownDelayMs: {
        ...summary(alone.addedDelayMs),
        goalP99: 20,
        breakdown: {
          signalToSentMs: summary(alone.sentMs),
          signalToAckMs: summary(alone.ackMs),
          signalToLockProcessReapedMs: summary(alone.reapedMs),
        },
      },
      agentAddedShutdownDelayWithBrowserWatchingMs: {
        ...summary(withBrowser.addedDelayMs),
        breakdown: {
          signalToSentMs: summary(withBrowser.sentMs),
          signalToAckMs: summary(withBrowser.ackMs),
          signalToLockProcessReapedMs: summary(withBrowser.reapedMs),
        },
      },
      agentIdleRssMb: { perNode: rssMb, goalMax: 60, note: "VmRSS 10 s after the node's last soft-reboot" },
      agentSettledRssMb: { perNode: settledRssMb, note: "VmRSS a minute after the node's last soft-reboot" },
      agentPeakRssMb: { perNode: peakRssMb, note: "VmHWM of the agent process that started in the last soft-reboot" },
      agentConnectedMinusFinishMs: {
        ...summary(connectedAfterFinishMs),
        goalP99: 100,
        breakdown: {
          agentProcessStartMinusFinishMs: summary(agentStartMinusFinishMs),
          agentProcessStartToConnectedMs: summary(agentStartToConnectedMs),
        },
      },
      perReboot: {
        systemdShutdownStartToFinishMs: summary(systemdMs),
        agentSignalToConnectedMs: summary(agentMs),
      },
    };
  } catch (error) {
    // What the nodes' agents said is the first thing anyone debugging this wants.
    for (const node of fleet?.nodes ?? []) {
      const log = await execIn(node.name, ["journalctl", "-u", "softfleet-agent", "-n", "40", "--no-pager"]).catch(
        () => null,
      );
      console.error(`--- ${node.name}: the agent's last log lines\n${log?.stdout ?? "(unavailable)"}`);
    }
    throw error;
  } finally {
    await browser?.close();
    await fleet?.stop();
    await db.$disconnect();
    await stop();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * The agent's own account of each shutdown it delayed, oldest first per node
 * (signal to lock released; the event spooled and sent; the ack received).
 */
type Delays = { addedDelayMs: number[]; sentMs: number[]; ackMs: number[]; reapedMs: number[] };

async function agentDelays(names: string[]): Promise<Map<string, Delays>> {
  const byNode = new Map<string, Delays>();
  for (const name of names) {
    const result: Delays = { addedDelayMs: [], sentMs: [], ackMs: [], reapedMs: [] };
    byNode.set(name, result);
    const log = await execIn(name, ["journalctl", "-u", "softfleet-agent", "--no-pager", "-o", "cat"]);
    for (const match of log.stdout.matchAll(
      /shutdown signal reported .*addedDelayMs=([\d.]+) sentMs=([\d.]+) ackMs=([\d.]+) reapedMs=([\d.]+)/g,
    )) {
      result.addedDelayMs.push(Number(match[1]));
      result.sentMs.push(Number(match[2]));
      result.ackMs.push(Number(match[3]));
      result.reapedMs.push(Number(match[4]));
    }
  }
  return byNode;
}

function flatten(byNode: Map<string, Delays>): Delays {
  const all = [...byNode.values()];
  return {
    addedDelayMs: all.flatMap((d) => d.addedDelayMs),
    sentMs: all.flatMap((d) => d.sentMs),
    ackMs: all.flatMap((d) => d.ackMs),
    reapedMs: all.flatMap((d) => d.reapedMs),
  };
}
