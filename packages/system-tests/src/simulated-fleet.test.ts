import { requestSoftReboot } from "@softfleet/fleet";
import {
  BAD_SURVIVOR,
  REFUSAL_REASON,
  type SimulatedFleet,
  type SimulatedNode,
  startSimulatedFleet,
  WATCHED_UNITS,
} from "@softfleet/simagent";
import {
  createTestDatabase,
  newEnrollmentToken,
  startTestControl,
  type TestControl,
  type TestDatabase,
} from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TestDatabase;
let control: TestControl;
let fleet: SimulatedFleet;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t);
  fleet = await startSimulatedFleet({
    controlUrl: control.url,
    enrollmentToken: await newEnrollmentToken(t),
    count: 20,
    seed: 7,
    timeScale: 0.05,
    labels: { team: "rollout" },
    faults: {
      "sim-0003": "refuse",
      "sim-0004": "escalate",
      "sim-0005": "never-returns",
      "sim-0006": "wrong-image",
      "sim-0007": "slow",
      "sim-0010": "pins-old-root",
    },
  });
});
afterAll(async () => {
  await fleet?.stop();
  await control?.stop();
  await t?.drop();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const row = (node: SimulatedNode) => t.db.node.findUniqueOrThrow({ where: { machineId: node.machineId } });

async function softReboot(node: SimulatedNode, requireNextroot: boolean) {
  const { id: nodeId } = await row(node);
  return t.db.$transaction((tx) => requestSoftReboot(tx, { nodeId, requireNextroot, requestedById: null }));
}

async function commandRow(id: string, settled = true) {
  await until(`command ${id} answered`, async () => {
    const command = await t.db.nodeCommand.findUniqueOrThrow({ where: { id } });
    return !settled || (command.status !== "pending" && command.status !== "sent");
  });
  return t.db.nodeCommand.findUniqueOrThrow({ where: { id } });
}

/** Stages `version` and waits until the control plane has seen it (the agent sends its state). */
async function stage(node: SimulatedNode, version: string) {
  fleet.stage(version, [node]);
  await until(`${node.hostname} staged ${version}`, async () => (await row(node)).nextrootImageVersion === version);
}

async function recordOf(node: SimulatedNode) {
  await until(`${node.hostname} reported its reboot`, () => node.historyOf("reboot-record").length > 0);
  const [sent] = node.historyOf("reboot-record");
  await until(`the record of ${node.hostname} stored`, async () => {
    return (await t.db.rebootRecord.count({ where: { eventId: sent!.eventId } })) === 1;
  });
  return { sent: sent!, stored: await t.db.rebootRecord.findFirstOrThrow({ where: { eventId: sent!.eventId } }) };
}

const eventCount = async (node: SimulatedNode, type: string) =>
  t.db.nodeEvent.count({ where: { nodeId: (await row(node)).id, type } });

describe("a simulated fleet", () => {
  it("enrolls 20 nodes that come online marked simulated, with their labels", async () => {
    const rows = await t.db.node.findMany({ orderBy: { hostname: "asc" } });
    expect(rows.map((r) => r.hostname)).toEqual(fleet.nodes.map((n) => n.hostname));
    expect(rows[0]!.hostname).toBe("sim-0001");
    for (const [i, r] of rows.entries()) {
      const node = fleet.nodes[i]!;
      expect(r).toMatchObject({
        machineId: node.machineId,
        bootId: node.bootId,
        status: "online",
        simulated: true,
        imageId: "softfleet-sim",
        imageVersion: "1",
        systemdVersion: 257,
        softRebootsCount: 0,
        inhibitor: "held",
        labels: { sim: "true", zone: node.labels.zone, team: "rollout" },
      });
      expect(node.labels.zone).toMatch(/^zone-[abc]$/);
      expect((r.units as Array<{ name: string }>).map((u) => u.name)).toEqual(Object.values(WATCHED_UNITS));
    }
    expect(new Set(fleet.nodes.map((n) => n.labels.zone)).size).toBeGreaterThan(1);
  });

  it("soft-reboots a staged node on request: one signal, one record, back with the new image", async () => {
    const node = fleet.node("sim-0001");
    const bootId = node.bootId;
    await stage(node, "2");
    const command = await softReboot(node, true);
    const { sent, stored } = await recordOf(node);
    expect(await commandRow(command.id)).toMatchObject({ status: "accepted", reason: null });
    await until("back online", async () => (await row(node)).status === "online");
    expect(await row(node)).toMatchObject({
      bootId,
      softRebootsCount: 1,
      imageVersion: "2",
      nextrootStaged: false,
    });
    expect(await eventCount(node, "shutdown-signal")).toBe(1);
    expect(await eventCount(node, "reboot-record")).toBe(1);

    // The stored phases are the node's own microseconds, strictly increasing on one clock.
    const phases = [stored.signalUsec, stored.shutdownStartUsec, stored.userspaceUsec, stored.finishUsec];
    const all = [...phases, stored.agentConnectedUsec];
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
    expect(all.map(String)).toEqual([
      sent.record.phases.signalUsec,
      sent.record.phases.shutdownStartUsec,
      sent.record.phases.userspaceUsec,
      sent.record.phases.finishUsec,
      sent.record.phases.agentConnectedUsec,
    ]);
    const [signal] = node.historyOf("shutdown-signal");
    expect(signal).toMatchObject({ acked: true, monotonicUsec: String(stored.signalUsec) });
    const connected = node.historyOf("connected").at(-1)!;
    expect(connected.monotonicUsec).toBe(String(stored.agentConnectedUsec));
    // Phase lengths are the seeded timings.
    const [down] = node.historyOf("down");
    expect(stored.userspaceUsec! - stored.shutdownStartUsec!).toBe(
      down!.timings.shutdownUsec + down!.timings.userspaceStartUsec,
    );
    expect(stored.finishUsec! - stored.userspaceUsec!).toBe(down!.timings.bootToFinishUsec);

    expect(stored).toMatchObject({
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      trigger: "manual",
      commandId: command.id,
      bootIdBefore: bootId,
      bootIdAfter: bootId,
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 1,
      imageVersionBefore: "1",
      imageVersionAfter: "2",
    });
    const units = Object.fromEntries(sent.record.units.map((u) => [u.name, u]));
    expect(units[WATCHED_UNITS.survivor]).toMatchObject({ outcome: "survived", survives: true });
    expect(units[WATCHED_UNITS.survivor]!.mainPidAfter).toBe(units[WATCHED_UNITS.survivor]!.mainPidBefore);
    const ordinary = units[WATCHED_UNITS.ordinary]!;
    expect(ordinary).toMatchObject({ outcome: "restarted", survives: false });
    expect(ordinary.mainPidAfter).not.toBe(ordinary.mainPidBefore);
    expect(BigInt(ordinary.inactiveEnterUsec!)).toBeGreaterThan(stored.shutdownStartUsec!);
    expect(BigInt(ordinary.activeEnterUsec!)).toBeGreaterThan(stored.userspaceUsec!);
    expect(BigInt(ordinary.activeEnterUsec!)).toBeLessThan(stored.finishUsec!);
    expect(sent.record.signalEventId).toBe(signal!.eventId);

    // The unit blame: every unit the host stopped and started, slowest first, stored as sent.
    const blame = sent.record.blame!;
    expect(blame).toMatchObject({ stopped: 11, started: 11 });
    for (const list of [blame.stop, blame.start]) {
      expect(list).toHaveLength(10);
      expect(list.map((u) => u.ms)).toEqual([...list.map((u) => u.ms)].sort((a, b) => b - a));
    }
    expect(blame.stop[0]!.ms).toBeLessThan(Number(down!.timings.shutdownUsec) / 1000);
    expect(blame.start[0]!.ms).toBeLessThan(Number(down!.timings.bootToFinishUsec) / 1000);
    expect(stored.blame).toEqual(blame);

    // The fd store came back with its fds; the old root was looked for (a new image) and nobody holds it.
    expect(units[WATCHED_UNITS.fdstore]).toMatchObject({
      outcome: "restarted",
      fdStore: { max: 16, preserve: "yes", before: 2, after: 2 },
    });
    expect(sent.record.pinnedRoot).toMatchObject({ processes: [], pssKb: 0 });
    // What the node's prober saw: the survivor and the fd store answered throughout, the ordinary one was away.
    const gaps = Object.fromEntries(sent.record.clientGaps!.map((g) => [g.name, g]));
    expect(gaps.survivor).toMatchObject({ failedProbes: 0, open: false });
    expect(gaps.fdstore).toMatchObject({ failedProbes: 0, open: false });
    expect(gaps.ordinary!.failedProbes).toBeGreaterThan(0);
    expect(gaps.ordinary!.longestGapMs).toBeGreaterThanOrEqual(
      Number(BigInt(ordinary.activeEnterUsec!) - BigInt(ordinary.inactiveEnterUsec!)) / 1000,
    );
    expect(stored.clientGaps).toEqual(sent.record.clientGaps);
    // The Podman container ran straight through: the same process, started at the same time.
    expect(sent.record.containers).toEqual([
      expect.objectContaining({ outcome: "kept-running", before: sent.record.containers![0]!.after }),
    ]);
    expect((await row(node)).containers).toEqual([sent.record.containers![0]!.after]);
    expect(stored.pinnedRoot).toEqual(sent.record.pinnedRoot);
  });

  it("refuses a command that needs an image when none is staged, and answers a resent command once", async () => {
    const node = fleet.node("sim-0002");
    const command = await softReboot(node, true);
    expect(await commandRow(command.id)).toMatchObject({
      status: "refused",
      reason: "a new image is required but /run/nextroot is not set up (logind would fall back to a full reboot)",
    });
    // The server delivers it again (as pending) when the agent reconnects.
    await t.db.nodeCommand.update({ where: { id: command.id }, data: { status: "pending" } });
    fleet.stopAgent(node.hostname);
    await until("offline", async () => (await row(node)).status === "offline");
    fleet.startAgent(node.hostname);
    await until("resent", () => node.historyOf("duplicate-command").length === 1);
    expect(node.historyOf("command")).toHaveLength(1);
    expect(await eventCount(node, "command-result")).toBe(1);
    expect(node.historyOf("down")).toHaveLength(0);
  });

  it("restarts only its agent on stopAgent/startAgent: offline, then online on the same boot, no record", async () => {
    const node = fleet.node("sim-0008");
    const bootId = node.bootId;
    fleet.stopAgent(node.hostname);
    await until("offline", async () => (await row(node)).status === "offline");
    fleet.startAgent(node.hostname);
    await until("online", async () => (await row(node)).status === "online");
    expect(await row(node)).toMatchObject({ bootId, softRebootsCount: 0 });
    expect(node.historyOf("reboot-record")).toHaveLength(0);
  });
});

describe("injected faults", () => {
  it("refuse: answers refused with the simulated reason", async () => {
    const node = fleet.node("sim-0003");
    await stage(node, "2");
    const command = await softReboot(node, false);
    expect(await commandRow(command.id)).toMatchObject({ status: "refused", reason: REFUSAL_REASON });
    expect(node.status).toBe("up");
  });

  it("escalate: the host reboots fully, recorded as an escalated full reboot on the old image", async () => {
    const node = fleet.node("sim-0004");
    const bootIdBefore = node.bootId;
    await stage(node, "2");
    const command = await softReboot(node, true);
    const { stored, sent } = await recordOf(node);
    expect(await commandRow(command.id)).toMatchObject({ status: "accepted" });
    expect(stored).toMatchObject({
      kind: "full-reboot",
      requested: "soft-reboot",
      escalated: true,
      beforeLost: true,
      bootIdBefore,
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 0,
      imageVersionAfter: "1",
      signalUsec: null,
      shutdownStartUsec: null,
    });
    expect(stored.bootIdAfter).not.toBe(bootIdBefore);
    expect(stored.bootIdAfter).toBe(node.bootId);
    // The clock started again with the kernel.
    expect(stored.userspaceUsec!).toBeLessThan(stored.finishUsec!);
    expect(stored.finishUsec!).toBeLessThan(stored.agentConnectedUsec);
    expect(stored.agentConnectedUsec).toBeLessThan(10_000_000n);
    expect(sent.record.units.every((u) => u.outcome === "restarted")).toBe(true);
    await until("online", async () => (await row(node)).status === "online");
    expect(await row(node)).toMatchObject({ bootId: node.bootId, softRebootsCount: 0, imageVersion: "1" });
  });

  it("never-returns: the node goes down after the signal and stays rebooting", async () => {
    const node = fleet.node("sim-0005");
    await stage(node, "2");
    const command = await softReboot(node, true);
    expect(await commandRow(command.id)).toMatchObject({ status: "accepted" });
    await until("down", () => node.status === "down");
    // Far longer than any simulated boot at this time scale.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await row(node)).toMatchObject({ status: "rebooting", softRebootsCount: 0, imageVersion: "1" });
    expect(await eventCount(node, "shutdown-signal")).toBe(1);
    expect(await eventCount(node, "reboot-record")).toBe(0);
    expect(() => fleet.stage("3", [node])).toThrow("cannot stage on nodes that are not up: sim-0005 (down)");
  });

  it("wrong-image: soft-reboots but comes back on the image it had", async () => {
    const node = fleet.node("sim-0006");
    await stage(node, "2");
    await softReboot(node, true);
    const { stored } = await recordOf(node);
    expect(stored).toMatchObject({
      kind: "soft-reboot",
      softRebootsCountAfter: 1,
      imageVersionBefore: "1",
      imageVersionAfter: "1",
    });
    await until("online", async () => (await row(node)).status === "online");
    expect(await row(node)).toMatchObject({ softRebootsCount: 1, imageVersion: "1", nextrootStaged: false });
  });

  it("pins-old-root: a survivor still holds the old root after the soft-reboot, on the record and live", async () => {
    const node = fleet.node("sim-0010");
    await stage(node, "2");
    await softReboot(node, true);
    const { stored } = await recordOf(node);
    const pinned = stored.pinnedRoot as { pssKb: number; processes: Array<{ unit: string; pssKb: number }> };
    expect(pinned.processes).toEqual([expect.objectContaining({ unit: BAD_SURVIVOR })]);
    expect(pinned.pssKb).toBeGreaterThanOrEqual(20 * 1024);
    expect(pinned.pssKb).toBeLessThanOrEqual(90 * 1024);
    await until("the node's state to show it", async () => (await row(node)).pinnedRoot !== null);
    expect((await row(node)).pinnedRoot).toEqual(stored.pinnedRoot);
  });

  it("slow: the shutdown and boot take 5-10 times as long", async () => {
    const node = fleet.node("sim-0007");
    await stage(node, "2");
    await softReboot(node, true);
    const { stored } = await recordOf(node);
    const [down] = node.historyOf("down");
    expect(down!.timings.slowFactor).toBeGreaterThanOrEqual(5);
    expect(down!.timings.slowFactor).toBeLessThanOrEqual(10);
    // At least 5 x the fastest shutdown + userspace start (380 ms), scaled by 0.05.
    expect(stored.userspaceUsec! - stored.shutdownStartUsec!).toBeGreaterThanOrEqual(5n * 380n * 50n);
    expect(stored.imageVersionAfter).toBe("2");
  });

  it("setFault changes what the next command meets", async () => {
    const node = fleet.node("sim-0009");
    fleet.setFault(node.hostname, "refuse");
    const refused = await softReboot(node, false);
    expect(await commandRow(refused.id)).toMatchObject({ status: "refused", reason: REFUSAL_REASON });
    fleet.setFault(node.hostname, null);
    await stage(node, "2");
    await softReboot(node, true);
    const { stored } = await recordOf(node);
    expect(stored).toMatchObject({ kind: "soft-reboot", imageVersionAfter: "2" });
  });
});
