import type {
  AgentEvent,
  ClientGap,
  ContainerState,
  NetworkLink,
  PinnedRoot,
  RebootRecordEvent,
  UnitBlame,
} from "@softfleet/protocol";
import { type UnitTimes, unitBlame } from "./blame";
import { clientGapsIn, type ProberState } from "./client-gaps";
import { log } from "./log";
import { linkContinuity } from "./network";
import type { Observation } from "./node-state";
import { containerContinuity } from "./podman";
import {
  blameWindow,
  bootFinished,
  buildRebootRecord,
  oldRootsAfter,
  type RebootAssessment,
  recordEventId,
  snapshotOf,
} from "./record";
import type { Snapshot } from "./snapshot";

export interface FinishWait {
  pollMs: number;
  maxMs: number;
}

/**
 * FinishTimestamp is 0 until the boot transaction is done, and the agent
 * itself starts before that. Poll until it is set, but not for ever: a boot
 * that never finishes (a unit hanging) is reported with finishUsec null.
 */
export async function waitForBootFinish(
  observe: () => Promise<Observation>,
  wait: FinishWait,
  /** A cheaper look than a whole observation (one property): observed again only once it says finished. */
  finishedNow?: () => Promise<boolean>,
): Promise<Observation> {
  const deadline = Date.now() + wait.maxMs;
  let observation = await observe();
  while (!bootFinished(observation.manager) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
    // A failed read (systemd busy with the boot) is retried on the next poll.
    if (finishedNow && !(await finishedNow().catch(() => false)) && Date.now() < deadline) continue;
    observation = await observe().catch(() => observation);
  }
  if (!bootFinished(observation.manager)) {
    log.warn("reboot record: the boot has not finished, reporting without FinishTimestamp", { waitedMs: wait.maxMs });
  }
  return observation;
}

export interface ReportDeps {
  /** Resolves once the boot has finished (or the wait gave up). */
  finished: Promise<Observation>;
  publish: (event: AgentEvent, id?: string) => string;
  saveSnapshot: (snapshot: Snapshot) => void;
  /** Every unit's timestamps, for the unit blame; a failure leaves the blame out, not the record. */
  readUnitTimes?: () => Promise<UnitTimes[]>;
  /** The processes holding old roots (pinned-root.ts); a failure leaves it out, not the record. */
  findPinnedRoot?: (devices: readonly string[]) => Promise<PinnedRoot | null>;
  /** The client-visible prober's state (client-gaps.ts); null: no prober on this node. */
  readProberState?: () => Promise<ProberState | null>;
  /** The node's Podman containers now (podman.ts); null: no Podman API. */
  listContainers?: () => Promise<ContainerState[] | null>;
  /** The links systemd-networkd manages now (dbus/network.ts); null: no networkd. */
  describeNetwork?: () => Promise<NetworkLink[] | null>;
  /** How long to wait for a payload still failing its probes to answer again (default 5 s). */
  clientGapWaitMs?: number;
  /** The looks, started when the boot finished (gatherLooks); absent: taken when the record is built. */
  looks?: Promise<Looks>;
}

/**
 * Builds, spools and sends the record of the reboot the agent just came back
 * from, then replaces the "before" snapshot. In that order: a crash in
 * between spools the same record again under the same id (see recordEventId).
 */
export async function reportReboot(
  assessment: RebootAssessment,
  agentConnectedUsec: bigint,
  deps: ReportDeps,
): Promise<RebootRecordEvent> {
  const observation = await deps.finished;
  // Looked at once the boot finished, usually before the agent connected (a failed early look is taken again).
  const early = deps.looks ?? gatherLooks(assessment, observation, deps);
  const clientGapsStart = performance.now();
  const [looks, clientGaps] = await Promise.all([
    early.catch(() => gatherLooks(assessment, observation, deps)),
    clientGapsOf(assessment, observation, agentConnectedUsec, deps),
  ]);
  const { blame, pinnedRoot, containersAfter, networkAfter } = looks;
  // The early looks' own timings stay as they were: a second report (after a failed send) reuses them.
  const looksMs = { ...looks.looksMs, clientGapsAfterConnected: Math.round(performance.now() - clientGapsStart) };
  const containersBefore = assessment.before.containers;
  const containers =
    containersAfter && containersBefore ? containerContinuity(containersBefore, containersAfter) : undefined;
  const networkBefore = assessment.before.network;
  const network = networkAfter && networkBefore ? linkContinuity(networkBefore, networkAfter) : undefined;
  const record = buildRebootRecord(assessment, observation.present, agentConnectedUsec, {
    blame,
    pinnedRoot,
    clientGaps,
    containers,
    network,
  });
  const id = deps.publish(record, recordEventId(observation.present) ?? undefined);
  // Old roots nothing holds any more are gone for good: only the held ones are looked at again.
  const stillHeld = pinnedRoot?.processes.length ? pinnedRoot.devices : [];
  deps.saveSnapshot(
    snapshotOf(observation.present, observation.nextroot, null, {
      oldRootDevices: stillHeld,
      containers: containersAfter ?? undefined,
      network: networkAfter ?? undefined,
    }),
  );
  log.info("reboot record sent", {
    id,
    kind: record.kind,
    requested: record.requested,
    escalated: record.escalated,
    beforeLost: record.beforeLost,
    ...phaseDurations(record),
    slowestToStop: blame?.stop[0] ? `${blame.stop[0].name} ${blame.stop[0].ms.toFixed(0)} ms` : undefined,
    pinnedOldRoot: pinnedRoot?.processes.length ? pinnedSummary(pinnedRoot) : undefined,
    containers: containers?.map((c) => `${(c.after ?? c.before)!.name}:${c.outcome}`).join(","),
    network: network?.map((l) => `${l.name}:${l.outcome}`).join(","),
    clientGaps: clientGaps?.map((g) => `${g.name}:${g.longestGapMs.toFixed(0)}ms/${g.failedProbes}failed`).join(","),
    // How long each look took (side by side), in ms: the record waited for the slowest.
    looksMs: Object.entries(looksMs)
      .map(([name, ms]) => `${name}:${ms}`)
      .join(","),
  });
  if (pinnedRoot?.processes.length)
    log.warn("the old root is still held after the soft-reboot", pinnedFields(pinnedRoot));
  if (pinnedRoot?.unreadableProcesses) {
    log.warn("could not read every process while looking for holders of the old root (CAP_SYS_PTRACE missing?)", {
      unreadable: pinnedRoot.unreadableProcesses,
    });
  }
  return record;
}

/**
 * The gaps each probed payload showed its clients, from the first known point
 * of the soft-reboot to the agent connected again. A payload still failing is
 * given a few seconds to answer; past that its gap is reported open. None
 * after a full reboot: the prober did not run through it.
 */
async function clientGapsOf(
  assessment: RebootAssessment,
  observation: Observation,
  agentConnectedUsec: bigint,
  deps: ReportDeps,
): Promise<ClientGap[] | undefined> {
  if (!deps.readProberState || assessment.kind !== "soft-reboot") return undefined;
  const signal = assessment.before.signal;
  const fromUsec = signal ? BigInt(signal.monotonicUsec) : observation.present.manager.shutdownStartUsec;
  if (fromUsec === 0n) return undefined;
  const deadline = Date.now() + (deps.clientGapWaitMs ?? 5000);
  for (;;) {
    const state = await deps.readProberState();
    if (!state) return undefined;
    const gaps = clientGapsIn(state, { fromUsec, toUsec: agentConnectedUsec });
    if (!gaps.some((gap) => gap.open) || Date.now() >= deadline) return gaps;
    // The prober saves its state every 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the record says of the node after the boot, apart from its clients' gaps (which end at the connection). */
export interface Looks {
  blame: UnitBlame | null;
  pinnedRoot: PinnedRoot | null | undefined;
  containersAfter: ContainerState[] | null;
  networkAfter: NetworkLink[] | null;
  /** How long each look took, side by side, in ms. */
  looksMs: Record<string, number>;
}

/**
 * The record's looks at the node once its boot finished: the unit blame, the old root's holders, the
 * containers and the links. Each is independent of the others: side by side, so they take as long as
 * the slowest. The agent starts them as soon as the boot finished, beside its connection to control.
 */
export async function gatherLooks(
  assessment: RebootAssessment,
  observation: Observation,
  deps: Omit<ReportDeps, "finished" | "publish" | "saveSnapshot" | "looks">,
): Promise<Looks> {
  const started = performance.now();
  const looksMs: Record<string, number> = {};
  const timed = <T>(name: string, look: Promise<T>): Promise<T> =>
    look.finally(() => {
      looksMs[name] = Math.round(performance.now() - started);
    });
  const [blame, pinnedRoot, containersAfter, networkAfter] = await Promise.all([
    timed("blame", blameOf(assessment, observation, deps)),
    timed("oldRoot", findPinned(assessment, observation, deps)),
    // Containers as the snapshot before listed them, and now (a node without Podman's API has none to compare).
    timed("containers", deps.listContainers ? deps.listContainers() : Promise.resolve(null)),
    // The links as described at the shutdown signal, and now.
    timed("network", deps.describeNetwork ? deps.describeNetwork() : Promise.resolve(null)),
  ]);
  return { blame, pinnedRoot, containersAfter, networkAfter, looksMs };
}

/** Which units were slowest to stop and to start; null when their timestamps cannot be read. */
async function blameOf(
  assessment: RebootAssessment,
  observation: Observation,
  deps: Pick<ReportDeps, "readUnitTimes">,
): Promise<UnitBlame | null> {
  if (!deps.readUnitTimes) return null;
  try {
    return unitBlame(await deps.readUnitTimes(), blameWindow(assessment, observation.present));
  } catch (error) {
    log.warn("reboot record: cannot read the units' timestamps, sending it without the unit blame", {
      error: (error as Error).message,
    });
    return null;
  }
}

/** null: no old root to look for, or the scan failed; undefined: this agent does not scan. */
async function findPinned(
  assessment: RebootAssessment,
  observation: Observation,
  deps: Pick<ReportDeps, "findPinnedRoot">,
): Promise<PinnedRoot | null | undefined> {
  if (!deps.findPinnedRoot) return undefined;
  const devices = oldRootsAfter(assessment, observation.present);
  if (devices.length === 0) return null;
  try {
    return await deps.findPinnedRoot(devices);
  } catch (error) {
    log.warn("reboot record: cannot look for processes holding the old root", { error: (error as Error).message });
    return null;
  }
}

export function pinnedSummary(pinned: PinnedRoot): string {
  const mb = (pinned.pssKb / 1024).toFixed(1);
  const who = pinned.processes.map((p) => `${p.unit ?? p.comm}[${p.pid}]`).join(",");
  return `${mb} MB by ${who}`;
}

export function pinnedFields(pinned: PinnedRoot): Record<string, string | number> {
  return {
    devices: pinned.devices.join(","),
    pssKb: pinned.pssKb,
    processes: pinnedSummary(pinned),
    scanMs: pinned.scanMs,
  };
}

/** Durations in ms for the log line, from the exact µs phases. */
function phaseDurations(record: RebootRecordEvent): Record<string, string | undefined> {
  const p = record.phases;
  const span = (from: string | null, to: string | null) =>
    from && to ? (Number(BigInt(to) - BigInt(from)) / 1000).toFixed(1) : undefined;
  return {
    signalToShutdownMs: span(p.signalUsec, p.shutdownStartUsec),
    shutdownToUserspaceMs: span(p.shutdownStartUsec, p.userspaceUsec),
    userspaceToFinishMs: span(p.userspaceUsec, p.finishUsec),
    finishToConnectedMs: span(p.finishUsec, p.agentConnectedUsec),
  };
}
