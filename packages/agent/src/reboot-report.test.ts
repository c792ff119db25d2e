import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RebootRecordEvent } from "@softfleet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { callMethod, closeBus, openBus } from "./dbus/bus";
import { FAKE_BOOT_ID, makeFakeHost } from "./testing/fake-host";
import { until } from "./testing/gateway";
import { createNode, invocation, type Node } from "./testing/harness";

/**
 * The agent is restarted on the same folders after the stand-in systemd was
 * moved on the way a soft-reboot (or a full reboot) moves the real one.
 */
let node: Node;
afterEach(() => node?.close());

async function signalAndStop(type: string): Promise<{ id: string; usec: bigint }> {
  await node.start();
  await node.connected();
  node.announce(true, type);
  await until(() => node.reports.length === 1, 5000, "the shutdown report");
  await node.stopAgent();
  const [id, event] = node.events("shutdown-signal")[0]!;
  return { id, usec: BigInt((event as { monotonicUsec: string }).monotonicUsec) };
}

const records = () => node.events("reboot-record") as [string, RebootRecordEvent][];

describe("after a restart", () => {
  it("starts the soft-reboot at SoftRebootStartTimestamp where systemd has it, rather than ShutdownStartTimestamp", async () => {
    node = await createNode({ softRebootStart: true });
    const signal = await signalAndStop("soft-reboot");
    Object.assign(node.manager, {
      SoftRebootsCount: 1,
      SoftRebootStartTimestampMonotonic: signal.usec + 9_000n,
      ShutdownStartTimestampMonotonic: signal.usec + 12_345n,
      UserspaceTimestampMonotonic: signal.usec + 752_001n,
      FinishTimestampMonotonic: signal.usec + 1_600_000n,
    });
    await node.start();
    await node.connected();
    const [, record] = (await until(() => records().length === 1 && records(), 5000, "the record"))[0]!;
    expect(record.phases.shutdownStartUsec).toBe((signal.usec + 9_000n).toString());
  });

  async function askedThenRecorded(order: "call-first" | "signal-first") {
    node = await createNode();
    await node.start();
    await node.connected();
    // What `systemctl reboot` sends when /run/nextroot is a mount point, from a client of its own.
    const call = async () => {
      const client = await openBus(node.bus.address);
      try {
        await callMethod(client, {
          destination: "org.freedesktop.login1",
          path: "/org/freedesktop/login1",
          interface: "org.freedesktop.login1.Manager",
          member: "RebootWithFlags",
          signature: "t",
          body: [0x0an],
        });
      } finally {
        closeBus(client);
      }
      await until(() => node.logs.some((line) => line.includes("shutdown asked of logind")), 5000, "the call seen");
    };
    // logind turned it into a soft-reboot: that is what its signal announces.
    if (order === "call-first") await call();
    node.announce(true, "soft-reboot");
    if (order === "signal-first") await call();
    await until(() => node.reports.length === 1, 5000, "the shutdown report");
    const usec = BigInt((node.events("shutdown-signal")[0]![1] as { monotonicUsec: string }).monotonicUsec);
    Object.assign(node.manager, {
      SoftRebootsCount: 1,
      ShutdownStartTimestampMonotonic: usec + 10_000n,
      UserspaceTimestampMonotonic: usec + 700_000n,
      FinishTimestampMonotonic: usec + 1_500_000n,
    });
    await node.stopAgent();
    await node.start();
    await node.connected();
    const [, record] = (await until(() => records().length === 1 && records(), 5000, "the record"))[0]!;
    expect(record).toMatchObject({
      kind: "soft-reboot",
      requested: "reboot",
      announced: "soft-reboot",
      escalated: false,
    });
  }

  it("keeps what was asked of logind apart from what it announced and what happened: systemctl reboot into a staged root", async () => {
    await askedThenRecorded("call-first");
  });

  it("still records the request when the agent reads it after logind's signal (two connections, either order)", async () => {
    await askedThenRecorded("signal-first");
  });

  it("reports a soft-reboot once the boot has finished, with exact phases and unit continuity", async () => {
    node = await createNode();
    const signal = await signalAndStop("soft-reboot");

    // What PID 1 reports after the soft-reboot: same boot, count +1, new cycle, boot not yet finished.
    Object.assign(node.manager, {
      SoftRebootsCount: 1,
      ShutdownStartTimestampMonotonic: signal.usec + 12_345n,
      UserspaceTimestampMonotonic: signal.usec + 752_001n,
      FinishTimestampMonotonic: 0n,
    });
    node.systemd.setUnit("web.service", {
      ActiveState: "active",
      SubState: "running",
      InvocationID: invocation("d"),
      InactiveEnterTimestampMonotonic: signal.usec + 100_000n,
      ActiveEnterTimestampMonotonic: signal.usec + 1_500_123n,
    });
    await node.start();
    await node.connected();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(records()).toEqual([]);
    node.manager.FinishTimestampMonotonic = signal.usec + 1_672_999n;

    const [id, record] = (await until(() => records().length === 1 && records(), 5000, "the record"))[0]!;
    expect(id).toBe(`${(signal.usec + 752_001n).toString().padStart(16, "0")}-${FAKE_BOOT_ID.replaceAll("-", "")}`);
    expect(record).toMatchObject({
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      beforeLost: false,
      bootIdBefore: FAKE_BOOT_ID,
      bootIdAfter: FAKE_BOOT_ID,
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 1,
      signalEventId: signal.id,
    });
    const { agentConnectedUsec, ...phases } = record.phases;
    expect(phases).toEqual({
      signalUsec: signal.usec.toString(),
      shutdownStartUsec: (signal.usec + 12_345n).toString(),
      userspaceUsec: (signal.usec + 752_001n).toString(),
      finishUsec: (signal.usec + 1_672_999n).toString(),
    });
    // Taken from the same clock when the second agent was welcomed: after the signal.
    expect(BigInt(agentConnectedUsec) > signal.usec).toBe(true);
    expect(record.units).toEqual([
      {
        name: "keeper.service",
        outcome: "survived",
        invocationIdBefore: "a".repeat(32),
        invocationIdAfter: "a".repeat(32),
        inactiveEnterUsec: null,
        activeEnterUsec: null,
      },
      {
        name: "web.service",
        outcome: "restarted",
        invocationIdBefore: "b".repeat(32),
        invocationIdAfter: "d".repeat(32),
        inactiveEnterUsec: (signal.usec + 100_000n).toString(),
        activeEnterUsec: (signal.usec + 1_500_123n).toString(),
      },
    ]);

    // The snapshot moved on: another agent restart in this cycle reports nothing new.
    const snapshot = JSON.parse(readFileSync(join(node.config.runtimeDir, "state.json"), "utf8"));
    expect(snapshot).toMatchObject({ softRebootsCount: 1, signal: null });
    await node.stopAgent();
    await node.start();
    await node.connected();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(records()).toHaveLength(1);
    expect(node.gateway.violations).toEqual([]);
  });

  it("reports a full reboot in place of a soft one as escalated, with only after-boot phases", async () => {
    node = await createNode();
    await signalAndStop("soft-reboot");

    // A full reboot: /run is empty, a new boot id, the clock and the counter start again.
    rmSync(node.config.runtimeDir, { recursive: true, force: true });
    const newBoot = "0f0f0f0f-1e1e-4d4d-8c8c-7b7b7b7b7b7b";
    makeFakeHost(node.host.root, { bootId: newBoot, imageVersion: "1" });
    Object.assign(node.manager, {
      SoftRebootsCount: 0,
      ShutdownStartTimestampMonotonic: 0n,
      UserspaceTimestampMonotonic: 1_200_000n,
      FinishTimestampMonotonic: 3_400_000n,
    });
    node.systemd.setUnit("web.service", { ...node.systemd.units.get("web.service")!, InvocationID: invocation("e") });
    node.systemd.setUnit("keeper.service", {
      ...node.systemd.units.get("keeper.service")!,
      InvocationID: invocation("f"),
    });
    await node.start();

    const [, record] = (await until(() => records().length === 1 && records(), 5000, "the record"))[0]!;
    expect(record).toMatchObject({
      kind: "full-reboot",
      requested: "soft-reboot",
      escalated: true,
      beforeLost: true,
      bootIdBefore: FAKE_BOOT_ID,
      bootIdAfter: newBoot,
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 0,
    });
    expect(record.phases).toMatchObject({
      signalUsec: null,
      shutdownStartUsec: null,
      userspaceUsec: "1200000",
      finishUsec: "3400000",
    });
    expect(record.units.map((u) => u.outcome)).toEqual(["restarted", "restarted"]);
    // Nothing from before the reboot is sent again or made up.
    expect(node.events("shutdown-signal")).toHaveLength(1);
    expect(node.gateway.violations).toEqual([]);
  });
});
