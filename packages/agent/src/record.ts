import type {
  ClientGap,
  ContainerContinuity,
  LinkContinuity,
  NodeState,
  PinnedRoot,
  RebootRecordEvent,
  UnitBlame,
  UnitContinuity,
  UnitState,
} from "@softfleet/protocol";
import type { BlameWindow } from "./blame";
import type { OsRelease } from "./host";
import { padUsec } from "./ids";
import type { LoadedSnapshots, Snapshot } from "./snapshot";

/** systemd's manager timestamps on CLOCK_MONOTONIC, in µs; 0 means "not yet" or "never". */
export interface ManagerTimes {
  shutdownStartUsec: bigint;
  userspaceUsec: bigint;
  finishUsec: bigint;
}

/** The node as the restarted agent finds it. */
export interface Present {
  bootId: string;
  softRebootsCount: number | null;
  osRelease: OsRelease;
  units: UnitState[];
  manager: ManagerTimes;
  /** The root file system's device ("major:minor"), null when unknown. */
  rootDevice: string | null;
}

export type RebootAssessment = { kind: "soft-reboot" | "full-reboot"; before: Snapshot; beforeLost: boolean };
export type Assessment = { kind: "none"; why: "first-start" | "same-cycle" } | RebootAssessment;

/**
 * What happened since the snapshot was written. The runtime copy (in /run) is
 * preferred; the persistent one stands in when /run was emptied, which only a
 * full reboot (or an admin) does.
 *
 * Same boot id: the kernel kept running. A higher SoftRebootsCount, or a new
 * UserspaceTimestamp (for systemd without that property), means userspace was
 * restarted: a soft-reboot. Otherwise only the agent restarted.
 * Another boot id: a full reboot.
 */
export function assessRestart(loaded: LoadedSnapshots, present: Present): Assessment {
  const before = loaded.runtime ?? loaded.persistent;
  if (!before) return { kind: "none", why: "first-start" };
  if (before.bootId !== present.bootId) {
    return { kind: "full-reboot", before, beforeLost: loaded.runtime === null };
  }
  const countRose =
    before.softRebootsCount !== null &&
    present.softRebootsCount !== null &&
    present.softRebootsCount > before.softRebootsCount;
  const userspaceRestarted =
    before.userspaceUsec !== "0" &&
    present.manager.userspaceUsec !== 0n &&
    BigInt(before.userspaceUsec) !== present.manager.userspaceUsec;
  if (countRose || userspaceRestarted) return { kind: "soft-reboot", before, beforeLost: false };
  return { kind: "none", why: "same-cycle" };
}

/** FinishTimestamp is 0 until the boot transaction is done; the record waits for it. */
export function bootFinished(manager: ManagerTimes): boolean {
  return manager.finishUsec !== 0n;
}

const nonZero = (value: bigint | string): string | null => (value.toString() === "0" ? null : value.toString());

/**
 * The reboot record. For a soft-reboot every phase is on one CLOCK_MONOTONIC
 * and subtracts directly: signal -> ShutdownStart -> Userspace -> Finish ->
 * agent connected. After a full reboot the clock started again, so only the
 * phases of the new boot are given: nothing from before is made up.
 */
export function buildRebootRecord(
  assessment: RebootAssessment,
  present: Present,
  agentConnectedUsec: bigint,
  measured: {
    blame?: UnitBlame | null;
    pinnedRoot?: PinnedRoot | null;
    clientGaps?: ClientGap[];
    containers?: ContainerContinuity[];
    network?: LinkContinuity[];
  } = {},
): RebootRecordEvent {
  const { blame = null } = measured;
  const { before } = assessment;
  const soft = assessment.kind === "soft-reboot";
  const announced = before.signal?.type ?? null;
  return {
    type: "reboot-record",
    kind: assessment.kind,
    requested: before.signal?.requested ?? announced,
    announced,
    escalated: !soft && announced === "soft-reboot",
    beforeLost: assessment.beforeLost,
    bootIdBefore: before.bootId,
    bootIdAfter: present.bootId,
    softRebootsCountBefore: before.softRebootsCount,
    softRebootsCountAfter: present.softRebootsCount,
    imageBefore: before.osRelease,
    imageAfter: present.osRelease,
    phases: {
      signalUsec: soft ? (before.signal?.monotonicUsec ?? null) : null,
      shutdownStartUsec: soft ? nonZero(present.manager.shutdownStartUsec) : null,
      userspaceUsec: nonZero(present.manager.userspaceUsec),
      finishUsec: nonZero(present.manager.finishUsec),
      agentConnectedUsec: agentConnectedUsec.toString(),
    },
    units: present.units.slice(0, 200).map((after) => {
      const previous = before.units.find((unit) => unit.name === after.name);
      return unitContinuity(previous, after);
    }),
    blame,
    ...(measured.pinnedRoot === undefined ? {} : { pinnedRoot: measured.pinnedRoot }),
    ...(measured.clientGaps === undefined ? {} : { clientGaps: measured.clientGaps }),
    ...(measured.containers === undefined ? {} : { containers: measured.containers }),
    ...(measured.network === undefined ? {} : { network: measured.network }),
    signalEventId: before.signal?.eventId ?? null,
  };
}

const RUNNING = new Set(["active", "activating", "reloading", "refreshing"]);

/**
 * survived: the same InvocationID (and main process, when both are known)
 * before and after: it ran straight through; restarted: a new one, with when
 * it stopped and came back (the gap); absent: not running after; unknown:
 * nothing was known about it before. A unit configured to survive
 * (SurviveFinalKillSignal) that restarted carries `survives: true`: its
 * survival failed. A service with an fd store carries its count before and
 * after: a store emptied while FileDescriptorStorePreserve=yes lost its fds.
 */
export function unitContinuity(before: UnitState | undefined, after: UnitState): UnitContinuity {
  const invocationIdBefore = before?.invocationId ?? null;
  const invocationIdAfter = after.invocationId;
  const payload = {
    ...(before?.survives === undefined && after.survives === undefined
      ? {}
      : { survives: before?.survives ?? after.survives }),
    ...(before?.mainPid === undefined && after.mainPid === undefined
      ? {}
      : { mainPidBefore: before?.mainPid ?? null, mainPidAfter: after.mainPid ?? null }),
    ...(after.fdStore
      ? {
          fdStore: {
            max: after.fdStore.max,
            preserve: after.fdStore.preserve,
            before: before?.fdStore?.count ?? null,
            after: after.fdStore.count,
          },
        }
      : {}),
  };
  const base = { name: after.name, invocationIdBefore, invocationIdAfter, ...payload };
  if (!RUNNING.has(after.activeState) || invocationIdAfter === null) {
    return { ...base, outcome: "absent", inactiveEnterUsec: nonZero(after.inactiveEnterUsec), activeEnterUsec: null };
  }
  const samePid = !before?.mainPid || !after.mainPid || before.mainPid === after.mainPid;
  if (invocationIdBefore === invocationIdAfter && samePid) {
    return { ...base, outcome: "survived", inactiveEnterUsec: null, activeEnterUsec: null };
  }
  return {
    ...base,
    outcome: invocationIdBefore === null ? "unknown" : "restarted",
    inactiveEnterUsec: nonZero(after.inactiveEnterUsec),
    activeEnterUsec: nonZero(after.activeEnterUsec),
  };
}

/**
 * A record's id is fixed by the boot and the userspace cycle it describes, so
 * an agent that crashes between spooling it and saving the new snapshot
 * writes the same id again and the server still stores it once. It sorts by
 * UserspaceTimestamp: after the shutdown signal of the cycle before, before
 * anything this agent sends later.
 */
export function recordEventId(present: Present): string | null {
  if (present.manager.userspaceUsec === 0n) return null;
  return `${padUsec(present.manager.userspaceUsec)}-${present.bootId.replaceAll("-", "")}`;
}

/** The snapshot of the present, optionally with the shutdown signal that is being handled. */
export function snapshotOf(
  present: Present,
  nextroot: NodeState["nextroot"],
  signal: Snapshot["signal"] = null,
  extras: {
    oldRootDevices?: readonly string[];
    containers?: Snapshot["containers"];
    network?: Snapshot["network"];
  } = {},
): Snapshot {
  return {
    version: 1,
    bootId: present.bootId,
    softRebootsCount: present.softRebootsCount,
    userspaceUsec: present.manager.userspaceUsec.toString(),
    osRelease: present.osRelease,
    nextroot,
    units: present.units,
    rootDevice: present.rootDevice,
    oldRootDevices: [...(extras.oldRootDevices ?? [])],
    ...(extras.containers === undefined ? {} : { containers: extras.containers }),
    ...(extras.network === undefined ? {} : { network: extras.network }),
    signal,
  };
}

/**
 * The roots of earlier cycles that may still be held after a soft-reboot: the
 * one before it (when the soft-reboot switched to another root) and those
 * still held before that. A full reboot starts the kernel afresh: nothing of
 * the old roots is left.
 */
export function oldRootsAfter(assessment: RebootAssessment, present: Present): string[] {
  if (assessment.kind !== "soft-reboot") return [];
  const { before } = assessment;
  const candidates = [before.rootDevice, ...before.oldRootDevices];
  const old = candidates.filter((device): device is string => device !== null && device !== present.rootDevice);
  return [...new Set(old)].slice(0, 8);
}

/** The cycle whose stops and starts the record's unit blame covers. */
export function blameWindow(assessment: RebootAssessment, present: Present): BlameWindow {
  const { shutdownStartUsec, userspaceUsec, finishUsec } = present.manager;
  return {
    shutdownStartUsec: assessment.kind === "soft-reboot" && shutdownStartUsec !== 0n ? shutdownStartUsec : null,
    userspaceUsec,
    finishUsec: finishUsec === 0n ? null : finishUsec,
  };
}
