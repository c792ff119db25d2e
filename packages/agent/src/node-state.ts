import type {
  ContainerState,
  InhibitorStatus,
  LogindInhibitor,
  NetworkLink,
  NodeIdentity,
  NodeState,
  PinnedRoot,
  PortableImage,
} from "@softfleet/protocol";
import type { MessageBus } from "dbus-next";
import packageJson from "../package.json" with { type: "json" };
import { listInhibitors } from "./dbus/logind";
import { type ManagerFacts, readManager, readUnits, systemdMajor } from "./dbus/systemd";
import { type HostPaths, monotonicUsec, type Nextroot, type OsRelease, readNextroot } from "./host";
import type { Present } from "./record";

export const AGENT_VERSION: string = packageJson.version;

/** Facts fixed for the life of the process (a soft-reboot restarts the agent). */
export interface HostIdentity {
  machineId: string;
  hostname: string;
  bootId: string;
  osRelease: OsRelease;
}

export interface Observation {
  present: Present;
  nextroot: Nextroot;
  manager: ManagerFacts;
  /** logind's inhibitor locks; undefined when logind could not be asked. */
  inhibitors?: LogindInhibitor[];
}

/** Reads what can change: systemd's manager and the watched units over D-Bus, /run/nextroot from the file system. */
export async function observe(
  bus: MessageBus,
  host: HostPaths,
  identity: HostIdentity,
  watchUnits: readonly string[],
  rootDevice: string | null = null,
  options: { inhibitors?: boolean } = {},
): Promise<Observation> {
  const [manager, units, inhibitors] = await Promise.all([
    readManager(bus),
    readUnits(bus, watchUnits),
    options.inhibitors === false ? undefined : listInhibitors(bus).catch(() => undefined),
  ]);
  return {
    present: {
      bootId: identity.bootId,
      softRebootsCount: manager.softRebootsCount,
      osRelease: identity.osRelease,
      units,
      manager,
      rootDevice,
    },
    nextroot: readNextroot(host),
    manager,
    ...(inhibitors ? { inhibitors } : {}),
  };
}

/**
 * What the agent knows of the node's payloads besides its units, each
 * undefined until first looked at: the last scan for old roots, the Podman
 * containers and the portable images.
 */
export interface PayloadFacts {
  pinnedRoot?: PinnedRoot | null;
  containers?: ContainerState[];
  portables?: PortableImage[];
  network?: NetworkLink[];
}

const defined = <T extends object>(facts: T) =>
  Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as Partial<T>;

/** The node's state. */
export function nodeStateOf(
  observation: Observation,
  inhibitor: InhibitorStatus,
  payloads: PayloadFacts = {},
): NodeState {
  return {
    ...defined(payloads),
    ...(observation.inhibitors ? { inhibitors: observation.inhibitors } : {}),
    inhibitor,
    softRebootsCount: observation.present.softRebootsCount,
    nextroot: observation.nextroot,
    units: observation.present.units,
    monotonicUsec: monotonicUsec().toString(),
  };
}

export function nodeIdentityOf(
  identity: HostIdentity,
  manager: ManagerFacts,
  labels: Record<string, string>,
): NodeIdentity {
  return {
    ...identity,
    systemdVersion: systemdMajor(manager.version),
    agentVersion: AGENT_VERSION,
    labels,
    simulated: false,
  };
}

/**
 * What a `state` message is sent for: a change in units, nextroot,
 * SoftRebootsCount, the lock or the payloads (not the clock, nor the time a
 * scan took).
 */
export function stateKey(observation: Observation, inhibitor: InhibitorStatus, payloads: PayloadFacts = {}): string {
  const { softRebootsCount, units } = observation.present;
  const { pinnedRoot, containers, portables, network } = payloads;
  const pinned = pinnedRoot
    ? { ...pinnedRoot, scanMs: 0, scannedProcesses: 0, atUsec: "0", unreadableProcesses: 0 }
    : pinnedRoot;
  return JSON.stringify({
    softRebootsCount,
    units,
    nextroot: observation.nextroot,
    inhibitor,
    inhibitors: observation.inhibitors,
    pinned,
    containers,
    portables,
    network,
  });
}
