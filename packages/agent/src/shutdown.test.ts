import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FAKE_BOOT_ID } from "./testing/fake-host";
import { until } from "./testing/gateway";
import { createNode, type Node, runningUnit } from "./testing/harness";

/**
 * The shutdown signal against a real dbus-daemon, stand-in logind and systemd,
 * the real systemd-inhibit and a stand-in gateway: the cases a lab of real
 * nodes cannot force.
 */
let node: Node;
afterEach(() => node?.close());

const processGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

const WHY = "report the shutdown to the control plane";

describe("shutdown signal", () => {
  it("for a reboot (which empties /run): spools and sends the signal, saves the state before, holds the lock until the ack, then reads the units again", async () => {
    node = await createNode();
    const agent = await node.start();
    await until(() => agent.inhibitor.state === "held", 5000, "the lock");
    expect(node.logind.inhibitCalls).toEqual([["shutdown", "softfleet-agent", WHY, "delay"]]);
    await node.connected();
    const lockPid = agent.inhibitor.pid!;
    // The server takes 200 ms to store the event: the lock must be held all that time.
    node.gateway.ackDelayMs = 200;
    const lockHeld: Record<string, boolean> = {};
    node.gateway.onEvent = (id) => {
      lockHeld[`event ${id}`] = !processGone(lockPid);
    };
    node.gateway.onAck = (id) => {
      lockHeld[`ack ${id}`] = !processGone(lockPid);
    };

    // web.service restarted a moment before the shutdown: the snapshot must name its new invocation.
    node.systemd.setUnit("web.service", runningUnit("c", 3_500_000n));
    node.announce(true, "reboot");
    const [report] = await until(() => node.reports.length === 1 && node.reports, 5000, "the report");
    await report!.refreshed;

    const signals = node.events("shutdown-signal");
    expect(signals).toHaveLength(1);
    const [id, event] = signals[0]!;
    expect(event).toMatchObject({
      start: true,
      shutdownType: "reboot",
      bootId: FAKE_BOOT_ID,
      softRebootsCount: 0,
    });
    expect(report).toMatchObject({ eventId: id, acked: true });
    expect(lockHeld).toEqual({ [`event ${id}`]: true, [`ack ${id}`]: true });
    // The agent waited for the ack, and added far less than logind's 5 s.
    expect(report!.addedDelayUsec! >= 200_000n && report!.addedDelayUsec! < 1_000_000n).toBe(true);
    expect(processGone(lockPid)).toBe(true);
    expect(node.logs.some((l) => l.startsWith("info shutdown signal reported") && l.includes("addedDelayMs="))).toBe(
      true,
    );

    for (const file of [join(node.config.runtimeDir, "state.json"), join(node.config.stateDir, "last-state.json")]) {
      const snapshot = JSON.parse(readFileSync(file, "utf8"));
      expect(snapshot.signal).toEqual({
        eventId: id,
        monotonicUsec: (event as { monotonicUsec: string }).monotonicUsec,
        type: "reboot",
      });
      expect(snapshot.units.map((u: { invocationId: string }) => u.invocationId)).toEqual([
        "a".repeat(32),
        "c".repeat(32),
      ]);
    }
    expect(node.logs.join("\n")).not.toMatch(/enroll-token-123|test-credential/);
    // The shutdown goes on: no new lock is taken.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(node.logind.inhibitCalls).toHaveLength(1);
    expect(node.gateway.violations).toEqual([]);
  });

  it("for a soft-reboot (which keeps /run): releases the lock once the event is in the /run spool, before the ack", async () => {
    node = await createNode();
    const agent = await node.start();
    await until(() => agent.inhibitor.state === "held", 5000, "the lock");
    await node.connected();
    const lockPid = agent.inhibitor.pid!;
    // A slow server: the soft-reboot must not wait for it.
    node.gateway.ackDelayMs = 400;
    const lockHeld: Record<string, boolean> = {};
    node.gateway.onAck = (id) => {
      lockHeld[`ack ${id}`] = !processGone(lockPid);
    };
    node.announce(true, "soft-reboot");
    const [report] = await until(() => node.reports.length === 1 && node.reports, 5000, "the report");
    await report!.refreshed;
    const [[id, event]] = node.events("shutdown-signal") as unknown as [[string, { shutdownType: string }]];
    expect(event.shutdownType).toBe("soft-reboot");
    // Released well before the 400 ms ack; the event was still delivered and acked (after the release).
    expect(report!.addedDelayUsec! < 200_000n).toBe(true);
    expect(report).toMatchObject({ eventId: id, acked: true });
    expect(lockHeld).toEqual({ [`ack ${id}`]: false });
    expect(node.logs.some((l) => l.includes("releasedAfter=spool"))).toBe(true);
    // The snapshot carries the signal, as for any shutdown.
    const snapshot = JSON.parse(readFileSync(join(node.config.runtimeDir, "state.json"), "utf8"));
    expect(snapshot.signal).toMatchObject({ eventId: id, type: "soft-reboot" });
  });

  it("for a soft-reboot with the control plane unreachable: releases at once, and the event waits in the /run spool", async () => {
    node = await createNode({ ackTimeoutMs: 300 });
    const agent = await node.start();
    await node.connected();
    await until(() => agent.inhibitor.state === "held", 5000, "the lock");
    node.gateway.ackEvents = false;
    node.announce(true, "soft-reboot");
    const [report] = await until(() => node.reports.length === 1 && node.reports, 5000, "the report");
    expect(report!.acked).toBe(false);
    expect(report!.addedDelayUsec! < 200_000n).toBe(true);
    expect(readdirSync(join(node.config.runtimeDir, "spool"))).toEqual([`${report!.eventId}.json`]);
  });

  it("releases the lock after ackTimeoutMs when no ack comes; the event stays spooled", async () => {
    node = await createNode({ ackTimeoutMs: 300 });
    const agent = await node.start();
    await node.connected();
    await until(() => agent.inhibitor.state === "held", 5000, "the lock");
    node.gateway.ackEvents = false;
    node.announce(true, "reboot");
    const [report] = await until(() => node.reports.length === 1 && node.reports, 5000, "the report");
    expect(report!.acked).toBe(false);
    expect(report!.addedDelayUsec! >= 300_000n && report!.addedDelayUsec! < 800_000n).toBe(true);
    expect(agent.inhibitor.state).toBe("released");
    expect(readdirSync(join(node.config.runtimeDir, "spool"))).toEqual([`${report!.eventId}.json`]);
  });

  it("reports a host older than systemd 255 (plain PrepareForShutdown only) as type unknown", async () => {
    node = await createNode({ oldSystemd: true });
    await node.start();
    await node.connected();
    const hello = node.gateway.frames.find((f) => f.kind === "hello");
    expect(hello).toMatchObject({ identity: { systemdVersion: 254 }, state: { softRebootsCount: null } });
    // It says at start what such a host cannot do.
    const limits = node.logs.filter((line) => line.includes("systemd on this host is too old"));
    expect(limits.map((line) => /limit="([^"]*)"/.exec(line)?.[1]?.split(" (")[0])).toEqual([
      "no PrepareForShutdownWithMetadata",
      "no SoftRebootsCount",
      "block inhibitors do not stop root's reboots",
    ]);

    node.logind.PrepareForShutdown(true);
    await until(() => node.reports.length === 1, 5000, "the report");
    expect(node.events("shutdown-signal").map(([, e]) => e)).toEqual([
      expect.objectContaining({ start: true, shutdownType: "unknown", softRebootsCount: null }),
    ]);
  });

  it("treats the WithMetadata and plain signals as one notice", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    node.announce(true, "reboot");
    await until(() => node.reports.length === 1, 5000, "the report");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.events("shutdown-signal").map(([, e]) => e)).toEqual([
      expect.objectContaining({ start: true, shutdownType: "reboot" }),
    ]);
  });

  it("re-takes the lock after a cancelled shutdown and forgets the announced reboot", async () => {
    node = await createNode();
    const agent = await node.start();
    await node.connected();
    await until(() => agent.inhibitor.state === "held", 5000, "the lock");
    node.announce(true, "soft-reboot");
    await until(() => node.reports.length === 1, 5000, "the report");
    expect(agent.inhibitor.state).toBe("released");

    node.announce(false, "soft-reboot");
    await until(() => node.reports.length === 2, 5000, "the cancel");
    await until(() => agent.inhibitor.state === "held", 5000, "the lock again");
    expect(node.logind.inhibitCalls).toHaveLength(2);
    expect(node.events("shutdown-signal").map(([, e]) => e)).toEqual([
      expect.objectContaining({ start: true }),
      expect.objectContaining({ start: false, shutdownType: "soft-reboot" }),
    ]);
    const snapshot = JSON.parse(readFileSync(join(node.config.runtimeDir, "state.json"), "utf8"));
    expect(snapshot.signal).toBeNull();
  });

  it("logs a refused lock, keeps running and retries until it gets one", async () => {
    node = await createNode();
    node.logind.refuseInhibit = true;
    const agent = await node.start();
    await until(() => node.logind.inhibitCalls.length >= 3, 5000, "retries");
    const refusal = node.logs.find((l) => l.startsWith("error inhibitor: no shutdown delay lock"));
    // systemd-inhibit's own words for the stand-in's AccessDenied, as for a real polkit refusal.
    expect(refusal).toContain('reason="logind refused the lock: Failed to inhibit: Access denied"');
    expect(agent.inhibitor.state).not.toBe("held");
    await node.connected();

    node.logind.refuseInhibit = false;
    await until(() => agent.inhibitor.state === "held", 5000, "the lock after the refusals");
    // A shutdown without the lock is still reported.
    node.announce(true, "poweroff");
    await until(() => node.events("shutdown-signal").length === 1, 5000, "the event");
  });

  it("tells the caller when the system bus goes away, without crashing", async () => {
    node = await createNode();
    await node.start();
    await node.connected();
    await node.bus.stop();
    await until(() => node.fatal.length > 0, 5000, "the bus loss");
    expect(node.logs.some((l) => l.startsWith("error lost the system bus"))).toBe(true);
  });
});
