import type { FdStore, UnitState } from "@softfleet/protocol";
import type { Message, MessageBus } from "dbus-next";
import type { UnitTimes } from "../blame";
import type { ManagerTimes } from "../record";
import { addMatch, callMethod, dbusErrorName, getProperty, isSignal } from "./bus";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT = "org.freedesktop.systemd1.Unit";
const SERVICE = "org.freedesktop.systemd1.Service";

/** systemd's reloads (daemon-reload, daemon-reexec): unit configuration may have changed. */
export const RELOADING_MATCH = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='Reloading'`;

export interface ManagerFacts extends ManagerTimes {
  /** e.g. "257.9-1~deb13u1" */
  version: string | null;
  /** null where the property does not exist (systemd < 256). */
  softRebootsCount: number | null;
}

/** A property that an older systemd may not have yields null instead of failing the whole read. */
async function optional<T>(read: Promise<unknown>, convert: (value: unknown) => T): Promise<T | null> {
  try {
    return convert(await read);
  } catch (error) {
    const name = dbusErrorName(error);
    if (name === "org.freedesktop.DBus.Error.UnknownProperty" || name === "org.freedesktop.DBus.Error.InvalidArgs") {
      return null;
    }
    throw error;
  }
}

const toBigInt = (value: unknown): bigint => (typeof value === "bigint" ? value : BigInt(value as number));

export async function readManager(bus: MessageBus): Promise<ManagerFacts> {
  const get = (name: string) => getProperty(bus, SYSTEMD, MANAGER_PATH, MANAGER, name);
  const [version, softRebootsCount, softRebootStart, shutdownStart, userspace, finish] = await Promise.all([
    optional(get("Version"), String),
    optional(get("SoftRebootsCount"), Number),
    // The start of the last soft-reboot where systemd has it (newer than 257); 0 when there was none.
    optional(get("SoftRebootStartTimestampMonotonic"), toBigInt),
    optional(get("ShutdownStartTimestampMonotonic"), toBigInt),
    get("UserspaceTimestampMonotonic").then(toBigInt),
    get("FinishTimestampMonotonic").then(toBigInt),
  ]);
  return {
    version,
    softRebootsCount,
    shutdownStartUsec: softRebootStart || shutdownStart || 0n,
    userspaceUsec: userspace,
    finishUsec: finish,
  };
}

/** FinishTimestampMonotonic alone: 0 until the boot transaction is done. */
export async function readFinishUsec(bus: MessageBus): Promise<bigint> {
  return toBigInt(await getProperty(bus, SYSTEMD, MANAGER_PATH, MANAGER, "FinishTimestampMonotonic"));
}

/** The major version from systemd's Version property ("257.9-1~deb13u1" -> 257). */
export function systemdMajor(version: string | null): number | null {
  const match = version ? /^v?(\d+)/.exec(version) : null;
  return match ? Number(match[1]) : null;
}

/** The unit's object path: GetUnit for a loaded unit, else LoadUnit (which also answers for units that do not exist). */
async function unitPath(bus: MessageBus, name: string): Promise<string> {
  const call = (member: string) =>
    callMethod(bus, {
      destination: SYSTEMD,
      path: MANAGER_PATH,
      interface: MANAGER,
      member,
      signature: "s",
      body: [name],
    });
  try {
    return String((await call("GetUnit"))[0]);
  } catch (error) {
    if (dbusErrorName(error) !== "org.freedesktop.systemd1.NoSuchUnit") throw error;
    return String((await call("LoadUnit"))[0]);
  }
}

/** InvocationID is an ay of 16 bytes; empty while the unit has never run. */
export function invocationIdHex(value: unknown): string | null {
  if (!Buffer.isBuffer(value) && !Array.isArray(value)) return null;
  const bytes = Buffer.from(value as Uint8Array);
  return bytes.length === 0 ? null : bytes.toString("hex");
}

/**
 * A service's file descriptor store, or null when it has none
 * (FileDescriptorStoreMax=0, the default): one read for a service without.
 */
async function readFdStore(bus: MessageBus, path: string): Promise<FdStore | null> {
  const get = (property: string) => getProperty(bus, SYSTEMD, path, SERVICE, property);
  const max = await optional(get("FileDescriptorStoreMax"), Number);
  if (!max) return null;
  const [count, preserve] = await Promise.all([
    optional(get("NFileDescriptorStore"), Number),
    // systemd >= 254.
    optional(get("FileDescriptorStorePreserve"), String),
  ]);
  return count === null ? null : { max, count, preserve: (preserve ?? "unknown").slice(0, 16) };
}

export async function readUnit(bus: MessageBus, name: string): Promise<UnitState> {
  const path = await unitPath(bus, name);
  const get = (property: string) => getProperty(bus, SYSTEMD, path, UNIT, property);
  const service = name.endsWith(".service");
  const [activeState, subState, invocationId, activeEnter, inactiveEnter, survives, mainPid, fdStore] =
    await Promise.all([
      get("ActiveState"),
      get("SubState"),
      get("InvocationID"),
      get("ActiveEnterTimestampMonotonic"),
      get("InactiveEnterTimestampMonotonic"),
      // systemd >= 254; only services have a main process and an fd store.
      optional(get("SurviveFinalKillSignal"), Boolean),
      service ? optional(getProperty(bus, SYSTEMD, path, SERVICE, "MainPID"), Number) : null,
      service ? readFdStore(bus, path) : null,
    ]);
  const ownRoot = service && survives ? await readOwnRoot(bus, path) : null;
  return {
    name,
    activeState: String(activeState).slice(0, 32),
    subState: String(subState).slice(0, 32),
    invocationId: invocationIdHex(invocationId),
    activeEnterUsec: toBigInt(activeEnter).toString(),
    inactiveEnterUsec: toBigInt(inactiveEnter).toString(),
    ...(survives === null ? {} : { survives }),
    ...(mainPid === null ? {} : { mainPid }),
    ...(fdStore === null ? {} : { fdStore }),
    ...(ownRoot ? { ownRoot } : {}),
  };
}

/** Where a survivor runs from when not the host's root: its RootImage=, else its RootDirectory= (two reads). */
async function readOwnRoot(bus: MessageBus, path: string): Promise<string | null> {
  const get = (property: string) => optional(getProperty(bus, SYSTEMD, path, SERVICE, property), String);
  const [image, directory] = await Promise.all([get("RootImage"), get("RootDirectory")]);
  return (image || directory || null)?.slice(0, 512) ?? null;
}

/**
 * Reads something of every loaded unit (ListUnits, then `read` for each, a
 * batch of units at a time so a node with hundreds of units does not flood
 * the bus). A unit whose read fails or gives null is left out: one unloaded
 * between the listing and the read has nothing to tell.
 */
/**
 * The kinds of unit that run processes or have a start or stop of their own. Targets, slices,
 * devices, paths and timers change state at once and run nothing: they never survive a
 * soft-reboot, keep no fds and are never slow, so neither discovery nor the blame reads them
 * (on a plain node they are a third of the loaded units, 43 targets of 188 units on the lab's).
 */
const UNITS_WITH_PROCESSES = /\.(service|scope|socket|mount|swap)$/;
const UNITS_WITH_DURATIONS = /\.(service|scope|socket|mount|swap|automount)$/;

async function forEachLoadedUnit<T>(
  bus: MessageBus,
  read: (unit: { name: string; path: string }) => Promise<T | null>,
  only: RegExp,
  batch = 32,
): Promise<T[]> {
  const [listed] = await callMethod(bus, {
    destination: SYSTEMD,
    path: MANAGER_PATH,
    interface: MANAGER,
    member: "ListUnits",
  });
  const units = (listed as unknown[][])
    .map((row) => ({ name: String(row[0]), path: String(row[6]) }))
    .filter((unit) => only.test(unit.name));
  const results: T[] = [];
  for (let i = 0; i < units.length; i += batch) {
    const values = await Promise.all(units.slice(i, i + batch).map((unit) => read(unit).catch(() => null)));
    for (const value of values) if (value !== null) results.push(value);
  }
  return results;
}

interface PayloadKind {
  name: string;
  survives: boolean;
  fdStore: boolean;
}

/**
 * What discovery learnt of each unit, by name. SurviveFinalKillSignal= and
 * FileDescriptorStoreMax= are configuration: they change only when systemd
 * reloads (then `clear()`), so a unit is read again only when new, loaded
 * anew (another object path), or older than `maxAgeMs` (a reload whose
 * signal was missed). A node with a hundred units then costs one ListUnits
 * a discovery instead of two hundred property reads.
 */
export class PayloadKindCache {
  private readonly entries = new Map<string, { path: string; kind: PayloadKind; at: number }>();
  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(name: string, path: string): PayloadKind | undefined {
    const entry = this.entries.get(name);
    return entry && entry.path === path && this.now() - entry.at < this.maxAgeMs ? entry.kind : undefined;
  }

  set(path: string, kind: PayloadKind): void {
    this.entries.set(kind.name, { path, kind, at: this.now() });
  }

  /** Forgets the units no longer loaded. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.entries.keys()) if (!names.has(name)) this.entries.delete(name);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The node's payloads, watched without being listed in the config: the
 * loaded units configured to keep running through a soft-reboot
 * (SurviveFinalKillSignal=yes, systemd >= 254) and the services with a file
 * descriptor store (FileDescriptorStoreMax > 0). With a cache, a unit already
 * read is not read again (see PayloadKindCache).
 */
export async function discoverPayloads(
  bus: MessageBus,
  cache?: PayloadKindCache,
): Promise<{ survivors: string[]; fdStores: string[] }> {
  const listed = new Set<string>();
  const kinds = await forEachLoadedUnit(
    bus,
    async ({ name, path }) => {
      listed.add(name);
      const cached = cache?.get(name, path);
      if (cached) return cached;
      const [survives, fdStoreMax] = await Promise.all([
        optional(getProperty(bus, SYSTEMD, path, UNIT, "SurviveFinalKillSignal"), Boolean),
        name.endsWith(".service")
          ? optional(getProperty(bus, SYSTEMD, path, SERVICE, "FileDescriptorStoreMax"), Number)
          : null,
      ]);
      const kind = { name, survives: Boolean(survives), fdStore: Boolean(fdStoreMax) };
      cache?.set(path, kind);
      return kind;
    },
    UNITS_WITH_PROCESSES,
  );
  cache?.keepOnly(listed);
  const found = kinds.filter((unit) => unit.survives || unit.fdStore);
  return {
    survivors: found.filter((unit) => unit.survives).map((unit) => unit.name),
    fdStores: found.filter((unit) => unit.fdStore).map((unit) => unit.name),
  };
}

export function readUnits(bus: MessageBus, names: readonly string[]): Promise<UnitState[]> {
  return Promise.all(names.map((name) => readUnit(bus, name)));
}

const TIMESTAMPS = [
  "ActiveExitTimestampMonotonic",
  "InactiveEnterTimestampMonotonic",
  "InactiveExitTimestampMonotonic",
  "ActiveEnterTimestampMonotonic",
] as const;

/**
 * Every loaded unit's transition timestamps (four property reads a unit), of the kinds that take
 * time to start or stop (UNITS_WITH_DURATIONS): for
 * the unit blame of a reboot record, read once per reboot, never on the state
 * poll.
 */
export function readUnitTimes(bus: MessageBus): Promise<UnitTimes[]> {
  return forEachLoadedUnit(
    bus,
    async ({ name, path }) => {
      const [activeExitUsec, inactiveEnterUsec, inactiveExitUsec, activeEnterUsec] = (await Promise.all(
        TIMESTAMPS.map((property) => getProperty(bus, SYSTEMD, path, UNIT, property).then(toBigInt)),
      )) as [bigint, bigint, bigint, bigint];
      return { name, activeExitUsec, inactiveEnterUsec, inactiveExitUsec, activeEnterUsec };
    },
    UNITS_WITH_DURATIONS,
  );
}

/** Starts a unit (StartUnit, mode "replace"): the job is queued; the unit's state tells how it goes. */
export async function startUnit(bus: MessageBus, name: string): Promise<void> {
  await callMethod(bus, {
    destination: SYSTEMD,
    path: MANAGER_PATH,
    interface: MANAGER,
    member: "StartUnit",
    signature: "ss",
    body: [name, "replace"],
  });
}

/** Whether a unit is starting or running (activating, active, reloading, deactivating); false once it ended. */
export async function unitRunning(bus: MessageBus, name: string): Promise<boolean> {
  const path = await unitPath(bus, name);
  const state = String(await getProperty(bus, SYSTEMD, path, UNIT, "ActiveState"));
  return state !== "inactive" && state !== "failed";
}

/** Calls `onReload` when systemd (re)loads its units' configuration. */
export async function watchReloads(bus: MessageBus, onReload: () => void): Promise<void> {
  bus.on("message", (message: Message) => {
    if (isSignal(message, MANAGER_PATH, MANAGER, "Reloading")) onReload();
  });
  await addMatch(bus, RELOADING_MATCH);
}
