import { rebootRecordEvent, type UnitState } from "@softfleet/protocol";
import { describe, expect, it } from "vitest";
import {
  assessRestart,
  buildRebootRecord,
  oldRootsAfter,
  type Present,
  recordEventId,
  snapshotOf,
  unitContinuity,
} from "./record";
import type { Snapshot } from "./snapshot";

const BOOT_A = "11111111-2222-3333-4444-555555555555";
const BOOT_B = "99999999-8888-7777-6666-555555555555";
const IMAGE_1 = { id: "debian", versionId: "13", imageId: "fleet", imageVersion: "1" };
const IMAGE_2 = { ...IMAGE_1, imageVersion: "2" };

const unit = (name: string, over: Partial<UnitState> = {}): UnitState => ({
  name,
  activeState: "active",
  subState: "running",
  invocationId: `${name.length}`.padStart(32, "a"),
  activeEnterUsec: "1000000",
  inactiveEnterUsec: "0",
  ...over,
});

/** Before: boot A, 0 soft-reboots, image 1, a soft-reboot announced at 50 s. */
const before: Snapshot = {
  version: 1,
  bootId: BOOT_A,
  softRebootsCount: 0,
  userspaceUsec: "2000000",
  osRelease: IMAGE_1,
  nextroot: { staged: true, imageVersion: "2" },
  units: [
    unit("keeper.service", { invocationId: "a".repeat(32) }),
    unit("web.service", { invocationId: "b".repeat(32) }),
    unit("batch.service", { invocationId: "c".repeat(32) }),
  ],
  rootDevice: "0:40",
  oldRootDevices: [],
  signal: { eventId: "0000000050000000-abcdefabcdef", monotonicUsec: "50000000", type: "soft-reboot" },
};

/** After a soft-reboot: same boot, count 1, image 2; web restarted, batch gone, keeper ran through. */
const afterSoft: Present = {
  bootId: BOOT_A,
  softRebootsCount: 1,
  osRelease: IMAGE_2,
  manager: { shutdownStartUsec: 50_012_345n, userspaceUsec: 50_752_001n, finishUsec: 51_672_999n },
  units: [
    unit("keeper.service", { invocationId: "a".repeat(32), activeEnterUsec: "1000000", inactiveEnterUsec: "0" }),
    unit("web.service", { invocationId: "d".repeat(32), inactiveEnterUsec: "50100000", activeEnterUsec: "51500123" }),
    unit("batch.service", {
      activeState: "inactive",
      subState: "dead",
      invocationId: null,
      inactiveEnterUsec: "50100001",
      activeEnterUsec: "0",
    }),
    unit("new.service", { invocationId: "e".repeat(32), activeEnterUsec: "51000000" }),
  ],
  // The soft-reboot switched into the image staged at /run/nextroot: another file system.
  rootDevice: "0:54",
};

describe("assessRestart", () => {
  it("sees a soft-reboot: same boot id, SoftRebootsCount up", () => {
    expect(assessRestart({ runtime: before, persistent: before }, afterSoft)).toEqual({
      kind: "soft-reboot",
      before,
      beforeLost: false,
    });
  });

  it("sees a soft-reboot on a systemd without SoftRebootsCount by the new UserspaceTimestamp", () => {
    const old = { ...before, softRebootsCount: null };
    const present = { ...afterSoft, softRebootsCount: null };
    expect(assessRestart({ runtime: old, persistent: old }, present).kind).toBe("soft-reboot");
  });

  it("sees only an agent restart when the cycle is the same", () => {
    const same: Present = {
      ...afterSoft,
      softRebootsCount: 0,
      manager: { ...afterSoft.manager, userspaceUsec: 2_000_000n },
    };
    expect(assessRestart({ runtime: before, persistent: before }, same)).toEqual({ kind: "none", why: "same-cycle" });
    expect(assessRestart({ runtime: null, persistent: null }, same)).toEqual({ kind: "none", why: "first-start" });
  });

  it("sees a full reboot by the boot id; /run emptied means the state before is lost", () => {
    const present = { ...afterSoft, bootId: BOOT_B, softRebootsCount: 0 };
    expect(assessRestart({ runtime: null, persistent: before }, present)).toEqual({
      kind: "full-reboot",
      before,
      beforeLost: true,
    });
  });

  it("uses the persistent copy, same clock, when only /run/softfleet-agent was lost", () => {
    expect(assessRestart({ runtime: null, persistent: before }, afterSoft)).toEqual({
      kind: "soft-reboot",
      before,
      beforeLost: false,
    });
  });
});

describe("buildRebootRecord", () => {
  it("a soft-reboot: every phase exact to the microsecond on one clock, units by InvocationID", () => {
    const record = buildRebootRecord({ kind: "soft-reboot", before, beforeLost: false }, afterSoft, 52_000_007n);
    expect(rebootRecordEvent.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      beforeLost: false,
      bootIdBefore: BOOT_A,
      bootIdAfter: BOOT_A,
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 1,
      imageBefore: IMAGE_1,
      imageAfter: IMAGE_2,
      signalEventId: "0000000050000000-abcdefabcdef",
    });
    expect(record.phases).toEqual({
      signalUsec: "50000000",
      shutdownStartUsec: "50012345",
      userspaceUsec: "50752001",
      finishUsec: "51672999",
      agentConnectedUsec: "52000007",
    });
    const byName = Object.fromEntries(record.units.map((u) => [u.name, u]));
    expect(byName["keeper.service"]).toEqual({
      name: "keeper.service",
      outcome: "survived",
      invocationIdBefore: "a".repeat(32),
      invocationIdAfter: "a".repeat(32),
      inactiveEnterUsec: null,
      activeEnterUsec: null,
    });
    expect(byName["web.service"]).toEqual({
      name: "web.service",
      outcome: "restarted",
      invocationIdBefore: "b".repeat(32),
      invocationIdAfter: "d".repeat(32),
      inactiveEnterUsec: "50100000",
      activeEnterUsec: "51500123",
    });
    expect(byName["batch.service"]).toMatchObject({
      outcome: "absent",
      invocationIdAfter: null,
      inactiveEnterUsec: "50100001",
    });
    expect(byName["new.service"]).toMatchObject({ outcome: "unknown", invocationIdBefore: null });
  });

  it("a full reboot after a soft-reboot was asked for: escalated, only after-boot phases", () => {
    const present: Present = {
      ...afterSoft,
      bootId: BOOT_B,
      softRebootsCount: 0,
      // A new boot: ShutdownStart is 0, the clock began again.
      manager: { shutdownStartUsec: 0n, userspaceUsec: 1_900_000n, finishUsec: 4_200_000n },
      units: [
        unit("web.service", { invocationId: "f".repeat(32), activeEnterUsec: "3900000", inactiveEnterUsec: "0" }),
      ],
    };
    const record = buildRebootRecord({ kind: "full-reboot", before, beforeLost: true }, present, 5_000_000n);
    expect(rebootRecordEvent.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      kind: "full-reboot",
      requested: "soft-reboot",
      escalated: true,
      beforeLost: true,
      bootIdBefore: BOOT_A,
      bootIdAfter: BOOT_B,
      softRebootsCountAfter: 0,
    });
    // The signal at 50 s was on the old boot's clock: it must not appear beside the new one's.
    expect(record.phases).toEqual({
      signalUsec: null,
      shutdownStartUsec: null,
      userspaceUsec: "1900000",
      finishUsec: "4200000",
      agentConnectedUsec: "5000000",
    });
    expect(record.units).toEqual([
      {
        name: "web.service",
        outcome: "restarted",
        invocationIdBefore: "b".repeat(32),
        invocationIdAfter: "f".repeat(32),
        inactiveEnterUsec: null,
        activeEnterUsec: "3900000",
      },
    ]);
  });

  it("a full reboot that was announced as one is not escalated; none announced: requested null", () => {
    const present = { ...afterSoft, bootId: BOOT_B, softRebootsCount: 0 };
    const asked = { ...before, signal: { ...before.signal!, type: "reboot" as const } };
    expect(buildRebootRecord({ kind: "full-reboot", before: asked, beforeLost: true }, present, 1n)).toMatchObject({
      requested: "reboot",
      escalated: false,
    });
    const unannounced = { ...before, signal: null };
    const record = buildRebootRecord({ kind: "soft-reboot", before: unannounced, beforeLost: false }, afterSoft, 1n);
    expect(record).toMatchObject({ requested: null, escalated: false, signalEventId: null });
    expect(record.phases.signalUsec).toBeNull();
    expect(record.phases.shutdownStartUsec).toBe("50012345");
  });

  it("a boot that has not finished reports finishUsec null, not 0", () => {
    const present = { ...afterSoft, manager: { ...afterSoft.manager, finishUsec: 0n } };
    const record = buildRebootRecord({ kind: "soft-reboot", before, beforeLost: false }, present, 1n);
    expect(record.phases.finishUsec).toBeNull();
  });
});

describe("unitContinuity", () => {
  it("counts an activating unit with a new invocation as restarted, a failed one as absent", () => {
    const b = unit("x.service", { invocationId: "1".repeat(32) });
    expect(
      unitContinuity(b, unit("x.service", { activeState: "activating", invocationId: "2".repeat(32) })).outcome,
    ).toBe("restarted");
    expect(unitContinuity(b, unit("x.service", { activeState: "failed", invocationId: "2".repeat(32) })).outcome).toBe(
      "absent",
    );
  });
});

describe("surviving payloads", () => {
  const id = "1".repeat(32);
  it("a unit configured to survive that kept its invocation and main process survived", () => {
    const b = unit("payload.service", { invocationId: id, survives: true, mainPid: 4242 });
    expect(unitContinuity(b, { ...b })).toMatchObject({
      outcome: "survived",
      survives: true,
      mainPidBefore: 4242,
      mainPidAfter: 4242,
    });
  });

  it("one whose main process changed did not, even with the same invocation: its survival failed", () => {
    const b = unit("payload.service", { invocationId: id, survives: true, mainPid: 4242 });
    const after = unit("payload.service", { invocationId: id, survives: true, mainPid: 5151 });
    expect(unitContinuity(b, after)).toMatchObject({ outcome: "restarted", survives: true, mainPidAfter: 5151 });
  });

  it("carries a service's fd store count from before and after its restart", () => {
    const store = { max: 8, count: 3, preserve: "yes" };
    const b = unit("fdstore.service", { invocationId: id, fdStore: store });
    const after = unit("fdstore.service", { invocationId: "2".repeat(32), fdStore: { ...store, count: 3 } });
    expect(unitContinuity(b, after)).toMatchObject({
      outcome: "restarted",
      fdStore: { max: 8, preserve: "yes", before: 3, after: 3 },
    });
    const emptied = unitContinuity(b, { ...after, fdStore: { ...store, count: 0 } });
    expect(emptied.fdStore).toEqual({ max: 8, preserve: "yes", before: 3, after: 0 });
    expect(unitContinuity(undefined, after).fdStore?.before).toBeNull();
    expect(unitContinuity(unit("x.service"), unit("x.service"))).not.toHaveProperty("fdStore");
  });

  it("says nothing of survival where systemd did not (before 254)", () => {
    const continuity = unitContinuity(unit("x.service"), unit("x.service"));
    expect(continuity).not.toHaveProperty("survives");
    expect(continuity).not.toHaveProperty("mainPidBefore");
  });
});

describe("old roots", () => {
  const soft = { kind: "soft-reboot" as const, before, beforeLost: false };
  it("after a soft-reboot into a new root, the root before and those still held before it", () => {
    expect(oldRootsAfter(soft, afterSoft)).toEqual(["0:40"]);
    const heldEarlier = { ...soft, before: { ...before, oldRootDevices: ["0:33", "0:40"] } };
    expect(oldRootsAfter(heldEarlier, afterSoft)).toEqual(["0:40", "0:33"]);
  });
  it("none after a soft-reboot into the same root, nor after a full reboot", () => {
    expect(oldRootsAfter(soft, { ...afterSoft, rootDevice: "0:40" })).toEqual([]);
    expect(oldRootsAfter({ ...soft, kind: "full-reboot" }, afterSoft)).toEqual([]);
    expect(oldRootsAfter({ ...soft, before: { ...before, rootDevice: null } }, afterSoft)).toEqual([]);
  });
  it("puts what the scan found on the record: null when there was nothing to look for", () => {
    const pinnedRoot = { devices: ["0:40"], pssKb: 2048, processes: [], scannedProcesses: 30, scanMs: 4.5 };
    expect(buildRebootRecord(soft, afterSoft, 1n, { pinnedRoot }).pinnedRoot).toEqual(pinnedRoot);
    expect(buildRebootRecord(soft, afterSoft, 1n, { pinnedRoot: null }).pinnedRoot).toBeNull();
    expect(buildRebootRecord(soft, afterSoft, 1n)).not.toHaveProperty("pinnedRoot");
  });
});

describe("recordEventId", () => {
  it("is fixed by boot and userspace cycle and sorts by UserspaceTimestamp", () => {
    expect(recordEventId(afterSoft)).toBe("0000000050752001-11111111222233334444555555555555");
    expect(recordEventId({ ...afterSoft, manager: { ...afterSoft.manager, userspaceUsec: 0n } })).toBeNull();
    // After the signal event of the cycle before it.
    expect(recordEventId(afterSoft)! > before.signal!.eventId).toBe(true);
  });
});

describe("snapshotOf", () => {
  it("keeps what the next start compares with", () => {
    const snapshot = snapshotOf(afterSoft, { staged: false, imageVersion: null });
    expect(snapshot).toMatchObject({ bootId: BOOT_A, softRebootsCount: 1, userspaceUsec: "50752001", signal: null });
  });
});
