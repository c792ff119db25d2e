/**
 * Readers for the JSON columns of nodes, events and reboot records. The
 * agent's protocol validated them on the way in; these only narrow the types
 * and drop what does not fit, so a malformed row never breaks the page.
 */

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const str = (value: Json): string | null => (typeof value === "string" ? value : null);
const num = (value: Json): number | null => (typeof value === "number" ? value : null);
const bool = (value: Json): boolean | null => (typeof value === "boolean" ? value : null);
/** µs values travel as decimal strings (or, in older rows, numbers). */
const usec = (value: Json): string | null =>
  typeof value === "string" && /^\d+$/.test(value)
    ? value
    : typeof value === "number" && Number.isInteger(value) && value >= 0
      ? String(value)
      : null;

export interface WatchedUnit {
  name: string;
  activeState: string | null;
  subState: string | null;
  invocationId: string | null;
  activeEnterUsec: string | null;
  inactiveEnterUsec: string | null;
  /** Configured to survive soft-reboots (SurviveFinalKillSignal=yes); null: not reported. */
  survives: boolean | null;
  mainPid: number | null;
  /** The service's file descriptor store, when it has one. */
  fdStore: { max: number; count: number; preserve: string } | null;
  /** The root it runs from when not the host's (RootImage= or RootDirectory=), for a survivor. */
  ownRoot: string | null;
}

/** A node's `units`: the watched services as last reported. */
export function watchedUnits(value: Json): WatchedUnit[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((unit) => {
    const name = str(unit.name);
    if (!name) return [];
    return [
      {
        name,
        activeState: str(unit.activeState),
        subState: str(unit.subState),
        invocationId: str(unit.invocationId),
        activeEnterUsec: usec(unit.activeEnterUsec),
        inactiveEnterUsec: usec(unit.inactiveEnterUsec),
        survives: bool(unit.survives),
        mainPid: num(unit.mainPid),
        fdStore: fdStoreNow(unit.fdStore),
        ownRoot: str(unit.ownRoot),
      },
    ];
  });
}

export type UnitOutcome = "survived" | "restarted" | "absent" | "unknown";

export interface UnitContinuity {
  name: string;
  outcome: UnitOutcome;
  invocationIdBefore: string | null;
  invocationIdAfter: string | null;
  inactiveEnterUsec: string | null;
  activeEnterUsec: string | null;
  survives: boolean | null;
  mainPidBefore: number | null;
  mainPidAfter: number | null;
  /** The fd store's count before and after the reboot, when the service has one. */
  fdStore: FdStoreChange | null;
}

export interface FdStoreChange {
  max: number;
  preserve: string;
  before: number | null;
  after: number;
}

function fdStoreNow(value: Json): WatchedUnit["fdStore"] {
  if (!isObject(value)) return null;
  const [max, count, preserve] = [num(value.max), num(value.count), str(value.preserve)];
  return max === null || count === null || preserve === null ? null : { max, count, preserve };
}

function fdStoreChange(value: Json): FdStoreChange | null {
  if (!isObject(value)) return null;
  const [max, after, preserve] = [num(value.max), num(value.after), str(value.preserve)];
  return max === null || after === null || preserve === null
    ? null
    : { max, preserve, before: num(value.before), after };
}

const outcomes: readonly UnitOutcome[] = ["survived", "restarted", "absent", "unknown"];

/** A reboot record's `units`: what became of each watched unit. */
export function unitContinuity(value: Json): UnitContinuity[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((unit) => {
    const name = str(unit.name);
    if (!name) return [];
    const outcome = outcomes.find((o) => o === unit.outcome) ?? "unknown";
    return [
      {
        name,
        outcome,
        invocationIdBefore: str(unit.invocationIdBefore),
        invocationIdAfter: str(unit.invocationIdAfter),
        inactiveEnterUsec: usec(unit.inactiveEnterUsec),
        activeEnterUsec: usec(unit.activeEnterUsec),
        survives: bool(unit.survives),
        mainPidBefore: num(unit.mainPidBefore),
        mainPidAfter: num(unit.mainPidAfter),
        fdStore: fdStoreChange(unit.fdStore),
      },
    ];
  });
}

export { labelEntries } from "~/components/labels";

/** The parts of an agent event the timeline shows. */
export type EventSummary =
  | {
      type: "shutdown-signal";
      start: boolean | null;
      shutdownType: string | null;
      monotonicUsec: string | null;
      wallclock: string | null;
      softRebootsCount: number | null;
    }
  | { type: "reboot-record"; kind: string | null; escalated: boolean; monotonicUsec: string | null }
  | { type: "command-result"; commandId: string | null; outcome: string | null; reason: string | null }
  | { type: "other"; name: string };

export function summarizeEvent(type: string, payload: Json): EventSummary {
  const p = isObject(payload) ? payload : {};
  switch (type) {
    case "shutdown-signal":
      return {
        type,
        start: typeof p.start === "boolean" ? p.start : null,
        shutdownType: str(p.shutdownType),
        monotonicUsec: usec(p.monotonicUsec),
        wallclock: str(p.wallclock),
        softRebootsCount: num(p.softRebootsCount),
      };
    case "reboot-record": {
      const phases = isObject(p.phases) ? p.phases : {};
      return {
        type,
        kind: str(p.kind),
        escalated: p.escalated === true,
        monotonicUsec: usec(phases.agentConnectedUsec),
      };
    }
    case "command-result":
      return { type, commandId: str(p.commandId), outcome: str(p.outcome), reason: str(p.reason) };
    default:
      return { type: "other", name: type };
  }
}

export interface PinnedProcessView {
  pid: number;
  comm: string;
  unit: string | null;
  refs: string[];
  files: string[];
  pssKb: number;
}

export interface PinnedRootView {
  devices: string[];
  pssKb: number;
  processes: PinnedProcessView[];
  scanMs: number | null;
  /** Processes the agent could not read: they may hold it too. */
  unreadable: number;
}

const strings = (value: Json): string[] => (Array.isArray(value) ? value.filter((v) => typeof v === "string") : []);

/** A node's or a record's `pinnedRoot`: null when there was no old root to look for (or it is not one). */
export function pinnedRootOf(value: Json): PinnedRootView | null {
  if (!isObject(value)) return null;
  const pssKb = num(value.pssKb);
  if (pssKb === null || !Array.isArray(value.processes)) return null;
  const processes = value.processes.filter(isObject).flatMap((p) => {
    const pid = num(p.pid);
    if (pid === null) return [];
    return [
      {
        pid,
        comm: str(p.comm) ?? "?",
        unit: str(p.unit),
        refs: strings(p.refs),
        files: strings(p.files),
        pssKb: num(p.pssKb) ?? 0,
      },
    ];
  });
  return {
    devices: strings(value.devices),
    pssKb,
    processes,
    scanMs: num(value.scanMs),
    unreadable: num(value.unreadableProcesses) ?? 0,
  };
}

export interface ContainerView {
  id: string;
  name: string;
  image: string;
  state: string;
  pid: number;
  startedAt: number;
  unit: string | null;
}

function containerOf(value: Json): ContainerView | null {
  if (!isObject(value)) return null;
  const [id, name, image, state] = [str(value.id), str(value.name), str(value.image), str(value.state)];
  if (!id || name === null || image === null || state === null) return null;
  return {
    id,
    name,
    image,
    state,
    pid: num(value.pid) ?? 0,
    startedAt: num(value.startedAt) ?? 0,
    unit: str(value.unit),
  };
}

/** A node's `containers`: null when the node has no Podman API. */
export function containersOf(value: Json): ContainerView[] | null {
  if (!Array.isArray(value)) return null;
  return value.flatMap((c) => containerOf(c) ?? []);
}

export interface PortableView {
  name: string;
  type: string;
  state: string;
}

/** A node's `portables`: null when the node has no portabled. */
export function portablesOf(value: Json): PortableView[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter(isObject).flatMap((p) => {
    const [name, type, state] = [str(p.name), str(p.type), str(p.state)];
    return name && type !== null && state !== null ? [{ name, type, state }] : [];
  });
}

export interface NetworkLinkView {
  name: string;
  operState: string;
  keepConfiguration: string | null;
  networkFile: string | null;
  addresses: string[];
  carrierDownCount: number | null;
}

function networkLinkOf(value: Json): NetworkLinkView | null {
  if (!isObject(value)) return null;
  const name = str(value.name);
  if (!name) return null;
  return {
    name,
    operState: str(value.operState) ?? "unknown",
    keepConfiguration: str(value.keepConfiguration),
    networkFile: str(value.networkFile),
    addresses: Array.isArray(value.addresses) ? value.addresses.flatMap((a) => str(a) ?? []) : [],
    carrierDownCount: num(value.carrierDownCount),
  };
}

/** A node's `network`: the links systemd-networkd manages; null when the node has no networkd. */
export function networkOf(value: Json): NetworkLinkView[] | null {
  if (!Array.isArray(value)) return null;
  return value.flatMap((l) => networkLinkOf(l) ?? []);
}

export interface InhibitorView {
  what: string;
  who: string;
  why: string;
  mode: string;
  uid: number | null;
  pid: number | null;
}

/** A node's `inhibitors`: logind's locks as last listed; null when the agent did not report them. */
export function inhibitorsOf(value: Json): InhibitorView[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter(isObject).flatMap((lock) => {
    const [what, who, why, mode] = [str(lock.what), str(lock.who), str(lock.why), str(lock.mode)];
    return what !== null && who !== null && mode !== null
      ? [{ what, who, why: why ?? "", mode, uid: num(lock.uid), pid: num(lock.pid) }]
      : [];
  });
}
