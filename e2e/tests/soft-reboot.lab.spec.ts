import { expect, test } from "@playwright/test";
import { createPrismaClient } from "@softfleet/db";
import { execIn, managerProperties, stage } from "@softfleet/lab";
import { type LabFleet, startLabFleet } from "@softfleet/launcher/lab";
import { logIn } from "./helpers";
import { requireLab } from "./lab";

test.describe.configure({ mode: "serial", timeout: 300_000 });

let fleet: LabFleet | undefined;

test.beforeAll(async () => {
  await requireLab();
  fleet = await startLabFleet({
    databaseUrl: process.env.E2E_DATABASE_URL!,
    controlUrl: process.env.E2E_CONTROL_URL!,
    caFile: process.env.E2E_CONTROL_CA,
    nodes: 2,
    firstIndex: 11,
    label: "e2e lab nodes",
  });
});

test.afterAll(async () => {
  await fleet?.stop();
});

test("a soft-reboot clicked in the browser is watched live and measured exactly", async ({ page }) => {
  const [node, other] = fleet!.nodes;
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    await logIn(page, "admin");
    // Both nodes enroll and appear online without a reload.
    for (const name of [node!.name, other!.name]) {
      await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Online", { timeout: 60_000 });
    }
    await stage({ version: "2", nodes: [node!.name] });
    await page.getByRole("link", { name: node!.name }).click();
    // The agent reports the staged image live.
    await expect(page.getByText("Yes, at /run/nextroot")).toContainText("IMAGE_VERSION 2", { timeout: 30_000 });

    // Payloads, live: the fd-store service with its store (the listening socket and a memfd), and a survivor run
    // from the host root, started now: the agent finds it by itself within seconds.
    const payloads = page.getByRole("region", { name: "Payloads" });
    await expect(payloads.getByRole("row").filter({ hasText: "softfleet-demo-fdstore.service" })).toContainText(
      "fd store 2 of 16, kept across soft-reboots",
    );
    // The Podman container, listed from Podman's API on the node.
    const containers = payloads.getByRole("table", { name: "Containers" });
    await expect(containers.getByRole("row").filter({ hasText: "softfleet-demo-web" })).toContainText(
      "localhost/softfleet-demo-web:1",
      { timeout: 30_000 },
    );
    // The node's link on the lab network, from networkd, with what a soft-reboot keeps of it.
    const link = payloads.getByRole("table", { name: "Network links" }).getByRole("row").filter({ hasText: "host0" });
    await expect(link).toContainText(`${node!.address}/16`, { timeout: 30_000 });
    await expect(link).toContainText("static: static addresses kept");
    const bad = "softfleet-demo-bad-survivor.service";
    expect((await execIn(node!.name, ["systemctl", "enable", "--now", bad])).exitCode).toBe(0);
    await expect(payloads.getByRole("row").filter({ hasText: bad })).toContainText("survives soft-reboots", {
      timeout: 30_000,
    });

    const before = await db.node.findFirstOrThrow({ where: { hostname: node!.name } });
    await page.getByRole("button", { name: "Soft-reboot", exact: true }).click();
    await page.getByLabel("Only if a new image is staged").check();
    await page.getByRole("button", { name: "Soft-reboot now" }).click();

    // logind's signal arrives live in the timeline, typed soft-reboot.
    const timeline = page.getByRole("region", { name: "Event timeline" });
    await expect(timeline.getByText("soft-reboot").first()).toBeVisible({ timeout: 30_000 });

    // The node comes back on the staged image, one soft-reboot later, same boot; the page follows live.
    await expect(page.getByText("Online").first()).toBeVisible({ timeout: 120_000 });
    const record = await expect
      .poll(async () => db.rebootRecord.findFirst({ where: { nodeId: before.id } }), { timeout: 120_000 })
      .not.toBeNull()
      .then(() => db.rebootRecord.findFirstOrThrow({ where: { nodeId: before.id } }));
    const after = await db.node.findUniqueOrThrow({ where: { id: before.id } });
    expect(after.bootId).toBe(before.bootId);
    expect(after.softRebootsCount).toBe((before.softRebootsCount ?? 0) + 1);
    expect(after.imageVersion).toBe("2");
    expect(record).toMatchObject({
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      imageVersionAfter: "2",
    });

    // The phases are systemd's own timestamps, read here independently, to the microsecond.
    const [shutdownStart, userspace, finish] = await managerProperties(node!.name, [
      "ShutdownStartTimestampMonotonic",
      "UserspaceTimestampMonotonic",
      "FinishTimestampMonotonic",
    ]);
    expect(record.shutdownStartUsec).toBe(shutdownStart);
    expect(record.userspaceUsec).toBe(userspace);
    expect(record.finishUsec).toBe(finish);

    // The bad survivor still runs node from image 1's root: the page warns, live, naming it and the memory it pins.
    const warning = payloads.getByTestId("pinned-root");
    await expect(warning).toContainText("The old root is still held", { timeout: 30_000 });
    await expect(warning).toContainText(bad);
    await expect(warning).toContainText(/\d+\.\d MB pinned by 1 process/);
    const pinned = record.pinnedRoot as { processes: Array<{ unit: string | null; pid: number }> };
    expect(pinned.processes.map((p) => p.unit)).toEqual([bad]);
    await expect(warning).toContainText(`pid ${pinned.processes[0]!.pid}`);

    // The page shows the record: image 1 -> 2, the survivor survived, the ordinary one restarted with a gap.
    const records = page.getByRole("region", { name: "Reboot records" });
    await expect(records).toContainText("soft-reboot");
    const watched = records.getByRole("table", { name: /Watched services in the soft-reboot/ }).first();
    await expect(watched.getByRole("row").filter({ hasText: "softfleet-demo-survivor.service" })).toContainText(
      "survived",
    );
    const ordinary = watched.getByRole("row").filter({ hasText: "softfleet-demo-ordinary.service" });
    await expect(ordinary).toContainText("restarted");
    await expect(ordinary).toContainText(/\d+(\.\d+)? ms/);
    const units = record.units as Array<{
      name: string;
      outcome: string;
      survives?: boolean;
      mainPidBefore?: number;
      mainPidAfter?: number;
    }>;
    // The survivor is not in the agent's config: the agent found it by its SurviveFinalKillSignal=yes, and it
    // kept its invocation and its main process through the soft-reboot.
    const survivor = units.find((u) => u.name === "softfleet-demo-survivor.service");
    expect(survivor).toMatchObject({ outcome: "survived", survives: true });
    expect(survivor!.mainPidBefore).toBeGreaterThan(0);
    expect(survivor!.mainPidAfter).toBe(survivor!.mainPidBefore);
    await expect(watched.getByRole("row").filter({ hasText: "softfleet-demo-survivor.service" })).toContainText(
      `same PID ${survivor!.mainPidAfter}`,
    );
    expect(units.find((u) => u.name === "softfleet-demo-ordinary.service")).toMatchObject({ survives: false });
    expect(units.find((u) => u.name === "softfleet-demo-ordinary.service")?.outcome).toBe("restarted");
    // The fd-store service restarted and got its fds back; the record warns of the old root held after it.
    await expect(watched.getByRole("row").filter({ hasText: "softfleet-demo-fdstore.service" })).toContainText(
      "fds kept: 2 → 2 of 16",
    );
    await expect(records.getByTestId("pinned-root").first()).toContainText(
      "The old root was still held after this soft-reboot",
    );
    // The container kept running through the soft-reboot into image 2: same process, same start.
    const kept = records.getByRole("table", { name: /Containers in the soft-reboot/ }).first();
    await expect(kept.getByRole("row").filter({ hasText: "softfleet-demo-web" })).toContainText("kept running");
    const container = (
      record.containers as Array<{ outcome: string; before: { pid: number }; after: { pid: number } }>
    )[0]!;
    expect(container.outcome).toBe("kept-running");
    expect(container.after.pid).toBe(container.before.pid);

    // The link kept its address through it: the same before and after, and it never went down.
    const network = records.getByRole("table", { name: /Network in the soft-reboot/ }).first();
    await expect(network.getByRole("row").filter({ hasText: "host0" })).toContainText("kept its addresses");
    await expect(network.getByRole("row").filter({ hasText: "host0" })).toContainText(
      `${node!.address}/16 → ${node!.address}/16`,
    );

    // What clients saw, probed every 10 ms on the node: the survivor never missed a probe, the ordinary one did.
    const gaps = record.clientGaps as Array<{ name: string; failedProbes: number }>;
    expect(gaps.find((g) => g.name === "survivor")?.failedProbes).toBe(0);
    const seen = records.getByRole("table", { name: /What clients saw in the soft-reboot/ }).first();
    await expect(seen.getByRole("row").filter({ hasText: "survivor" }).getByRole("cell").last()).toHaveText("0");
    const ordinaryFailed = gaps.find((g) => g.name === "ordinary")!.failedProbes;
    expect(ordinaryFailed).toBeGreaterThan(0);
    await expect(seen.getByRole("row").filter({ hasText: "ordinary" }).getByRole("cell").last()).toHaveText(
      String(ordinaryFailed),
    );

    // Once the bad survivor is gone, the live warning ends (the record keeps what was found).
    await execIn(node!.name, ["systemctl", "disable", "--now", bad]);
    await expect(warning).toHaveCount(0, { timeout: 30_000 });

    // Why it was slow: the node's own unit timings, the slowest to stop and to start, as the agent measured them.
    const blame = record.blame as { stop: Array<{ name: string; ms: number }>; start: Array<{ name: string }> };
    expect(blame.stop.length).toBeGreaterThan(0);
    expect(blame.start.length).toBeGreaterThan(0);
    const slowestStop = records.getByRole("table", { name: /Units slowest to stop in the soft-reboot/ }).first();
    await expect(slowestStop.getByRole("row").nth(1)).toContainText(blame.stop[0]!.name);
    const slowestStart = records.getByRole("table", { name: /Units slowest to start after the soft-reboot/ }).first();
    await expect(slowestStart.getByRole("row").nth(1)).toContainText(blame.start[0]!.name);

    // Boots and soft-reboots: the cycle running now (#1, image 2), and the one the soft-reboot ended (#0, image 1),
    // each with the journalctl command that shows its log alone. The current one's works on the node itself (the
    // ended one's log stayed in image 1's /var, which the lab does not carry into image 2).
    const cycles = page.getByRole("region", { name: "Boots and soft-reboots" }).getByRole("row");
    await expect(cycles.nth(1)).toContainText(/#1\s*2.*running/);
    await expect(cycles.nth(2)).toContainText(/#0\s*1.*\(soft-reboot\)/);
    const bootId = before.bootId!.replaceAll("-", "");
    expect(await cycles.nth(2).locator("code").textContent()).toMatch(
      new RegExp(`^journalctl -b ${bootId} --until=@\\d+$`),
    );
    const command = (await cycles.nth(1).locator("code").textContent())!;
    expect(command).toMatch(new RegExp(`^journalctl -b ${bootId} --since=@\\d+$`));
    const log = await execIn(node!.name, [...command.split(" "), "-q", "--no-pager", "-o", "cat"]);
    expect(log.exitCode, log.stderr).toBe(0);
    expect(log.stdout).toContain("reboot record sent");
  } finally {
    await db.$disconnect();
  }
});
