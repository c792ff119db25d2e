import { createPrismaClient } from "@softfleet/db";
import { DEMO_UNITS, execIn, stage, waitUntilRunning } from "@softfleet/lab";
import { startLabFleet } from "@softfleet/launcher/lab";
import type { PinnedRoot } from "@softfleet/protocol";
import { longestGapMs, type Probe, probeHttp, probeKeptConnection } from "@softfleet/testkit/prober";
import { startScratchStack, until } from "./scratch-stack";
import { percentile } from "./stats";

/**
 * Payloads through soft-reboots on a real lab node, each into a newly staged
 * image, as their clients see them: from the host, a probe every 10 ms of the
 * survivor and the Podman container (HTTP, new connection each time), the
 * ordinary service (the same),
 * and the fd-store service (a line every 10 ms on one kept TCP connection).
 * Per payload: failed probes and the longest gap between two answers. And the
 * agent's detection of the old root a bad survivor pins: from the new
 * userspace's start to the scan's end, and the scan itself.
 */
export async function benchLabPayloads(reboots = 6) {
  const { stack, caFile, stop } = await startScratchStack("softfleet-bench-payloads-", { lab: true });
  const db = createPrismaClient(stack.database.url);
  let fleet: Awaited<ReturnType<typeof startLabFleet>> | undefined;
  const probes: Probe[] = [];
  try {
    fleet = await startLabFleet({
      databaseUrl: stack.database.url,
      controlUrl: stack.control.url,
      caFile,
      nodes: 1,
      firstIndex: 35,
      label: "payload benchmark",
    });
    const { name, ports, address } = fleet.nodes[0]!;
    const node = await until(
      () => db.node.findFirst({ where: { hostname: name, status: "online" } }),
      "the node online",
    );
    await execIn(name, ["systemctl", "enable", "--now", DEMO_UNITS.badSurvivor]);
    await until(async () => {
      const row = await db.node.findUniqueOrThrow({ where: { id: node.id } });
      return (row.units as Array<{ name: string }>).some((u) => u.name === DEMO_UNITS.badSurvivor);
    }, "the agent to watch the bad survivor");

    const survivor = probeHttp("survivor (SurviveFinalKillSignal, own root)", address, ports.survivor);
    const container = probeHttp("Podman container (quadlet, SurviveFinalKillSignal)", address, ports.container!);
    const portable = probeHttp("portable service (portablectl attach)", address, ports.portable!);
    const ordinary = probeHttp("ordinary service", address, ports.ordinary);
    const fdstore = await probeKeptConnection("fd-store service (one kept connection)", address, ports.fdstore!);
    probes.push(survivor, container, portable, ordinary, fdstore);
    await new Promise((r) => setTimeout(r, 500));

    const perReboot: Array<{
      gaps: Record<string, number>;
      failed: Record<string, number>;
      ordinaryUnitGapMs: number | null;
      detectionMs: number | null;
      scanMs: number | null;
      pinnedMb: number | null;
    }> = [];
    for (let i = 0; i < reboots; i++) {
      const version = `bench-${i + 2}`;
      await stage({ version, nodes: [name] });
      const failedBefore = new Map(probes.map((p) => [p.name, p.log.failed]));
      const recordsBefore = await db.rebootRecord.count({ where: { nodeId: node.id } });
      const from = Date.now();
      const result = await execIn(name, ["systemctl", "soft-reboot"]);
      if (result.exitCode !== 0) throw new Error(`systemctl soft-reboot failed: ${result.stderr}`);
      await waitUntilRunning(name);
      const record = await until(
        async () =>
          (await db.rebootRecord.count({ where: { nodeId: node.id } })) > recordsBefore
            ? db.rebootRecord.findFirst({ where: { nodeId: node.id }, orderBy: { recordedAt: "desc" } })
            : null,
        `the record of soft-reboot ${i + 1}`,
      );
      // Every payload answers again before the window closes.
      await until(
        async () => probes.every((p) => (p.log.ok.at(-1) ?? 0) > Date.now() - 200),
        "every payload answering",
      );
      const to = Date.now();
      const units = record.units as Array<{
        name: string;
        inactiveEnterUsec: string | null;
        activeEnterUsec: string | null;
      }>;
      const unit = units.find((u) => u.name === DEMO_UNITS.ordinary);
      const pinned = record.pinnedRoot as PinnedRoot | null;
      perReboot.push({
        gaps: Object.fromEntries(probes.map((p) => [p.name, longestGapMs(p.log, from, to)])),
        failed: Object.fromEntries(probes.map((p) => [p.name, p.log.failed - failedBefore.get(p.name)!])),
        ordinaryUnitGapMs:
          unit?.inactiveEnterUsec && unit.activeEnterUsec
            ? Number(BigInt(unit.activeEnterUsec) - BigInt(unit.inactiveEnterUsec)) / 1000
            : null,
        detectionMs:
          pinned?.atUsec && record.userspaceUsec ? Number(BigInt(pinned.atUsec) - record.userspaceUsec) / 1000 : null,
        scanMs: pinned?.scanMs ?? null,
        pinnedMb: pinned ? round(pinned.pssKb / 1024) : null,
      });
      // systemd's start limit on its own units: not more often than every 3 s.
      await new Promise((r) => setTimeout(r, 3000));
    }
    const stats = (values: number[]) => ({
      n: values.length,
      p50: round(percentile(values, 50)),
      max: round(Math.max(...values)),
    });
    const numbers = (values: Array<number | null>) => values.filter((v): v is number => v !== null);
    return {
      name: `lab: ${reboots} soft-reboots into new images, payloads probed every 10 ms from outside`,
      clientVisible: Object.fromEntries(
        probes.map((p) => [
          p.name,
          {
            longestGapMs: stats(perReboot.map((r) => r.gaps[p.name]!)),
            failedProbes: perReboot.map((r) => r.failed[p.name]!),
            goalFailedProbes: p === ordinary ? null : 0,
          },
        ]),
      ),
      keptConnectionClosed: fdstore.closed(),
      ordinaryServiceDowntimeFromItsUnitMs: stats(numbers(perReboot.map((r) => r.ordinaryUnitGapMs))),
      pinnedRoot: {
        detectionAfterUserspaceStartMs: stats(numbers(perReboot.map((r) => r.detectionMs))),
        scanMs: stats(numbers(perReboot.map((r) => r.scanMs))),
        pinnedMb: numbers(perReboot.map((r) => r.pinnedMb)),
      },
    };
  } finally {
    for (const probe of probes) probe.stop();
    await fleet?.stop();
    await db.$disconnect();
    await stop();
  }
}

const round = (value: number) => Math.round(value * 10) / 10;
