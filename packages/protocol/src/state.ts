import { z } from "zod";
import { bootId, count32, labels, machineId, unitName, usec } from "./common";

export const osRelease = z.object({
  id: z.string().max(64).nullable(),
  versionId: z.string().max(64).nullable(),
  imageId: z.string().max(128).nullable(),
  imageVersion: z.string().max(128).nullable(),
});

/** Who the node is; fixed for a boot. */
export const nodeIdentity = z.object({
  machineId,
  // No control characters: a hostname shows in pages, logs and exports.
  hostname: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[^\p{Cc}\p{Cf}]+$/u, "must not contain control characters"),
  bootId,
  osRelease,
  systemdVersion: z.number().int().nonnegative().max(100_000).nullable(),
  agentVersion: z.string().max(64),
  /** From the agent's config; group selectors match on them. */
  labels: labels.default({}),
  /** A simulated agent (no real host behind it): marked as such everywhere. */
  simulated: z.boolean().default(false),
});
export type NodeIdentity = z.infer<typeof nodeIdentity>;

/**
 * A service's file descriptor store: how many fds it may keep there, how many
 * it keeps now, and FileDescriptorStorePreserve (only "yes" keeps the store
 * while the service is stopped, as it is during a soft-reboot).
 */
export const fdStore = z.object({
  max: count32,
  count: count32,
  preserve: z.string().max(16),
});
export type FdStore = z.infer<typeof fdStore>;

/** A container as Podman reports it (its REST API): a payload that may run through soft-reboots. */
export const containerState = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(256),
  image: z.string().max(512),
  state: z.string().max(32),
  /** Its main process on the host (0: not running). */
  pid: count32,
  /** When it started, in seconds since the epoch (0: never). */
  startedAt: z.number().int().nonnegative().max(1e11),
  /** The unit that runs it (quadlet's PODMAN_SYSTEMD_UNIT label), or null. */
  unit: z.string().max(256).nullable(),
});
export type ContainerState = z.infer<typeof containerState>;

/** A portable service image as systemd-portabled knows it (state: attached, running, detached, ...). */
export const portableImage = z.object({
  name: z.string().max(256),
  type: z.string().max(32),
  state: z.string().max(32),
});
export type PortableImage = z.infer<typeof portableImage>;

/**
 * A network link systemd-networkd manages (org.freedesktop.network1 Describe),
 * with its .network file's KeepConfiguration= and the kernel's count of
 * carrier losses: what a soft-reboot may keep or drop.
 */
export const networkLink = z.object({
  name: z.string().min(1).max(32),
  /** networkd's OperationalState: routable, degraded, carrier, no-carrier, off, ... */
  operState: z.string().max(32),
  /** KeepConfiguration= of its .network file (no, static, dynamic-on-stop, dynamic, yes; older: dhcp...); null: not set. */
  keepConfiguration: z.string().max(32).nullable(),
  networkFile: z.string().max(512).nullable(),
  /** Its global addresses with their prefix length, such as "10.213.1.1/16". */
  addresses: z.array(z.string().max(64)).max(32),
  /** /sys/class/net/NAME/carrier_down_count: how often the link lost its carrier (null: not readable). */
  carrierDownCount: count32.nullable(),
});
export type NetworkLink = z.infer<typeof networkLink>;

/** A process that still references the root file system of an earlier userspace cycle. */
export const pinnedProcess = z.object({
  pid: count32,
  comm: z.string().max(64),
  /** The unit it runs in (from its cgroup), or null. */
  unit: z.string().max(256).nullable(),
  /** How: its executable, cwd or root is there, it maps files from it, or its mount namespace still mounts it. */
  refs: z.array(z.enum(["exe", "cwd", "root", "mapped", "mounted"])).max(5),
  /** A few of the files (or mounts) it holds. */
  files: z.array(z.string().max(512)).max(5),
  /** Proportional set size of the mappings from the old root (smaps Pss). */
  pssKb: count32,
});
export type PinnedProcess = z.infer<typeof pinnedProcess>;

/**
 * The old roots still held after soft-reboots into new images: which
 * processes hold them, and the memory they pin. No process: nothing is pinned.
 */
export const pinnedRoot = z.object({
  /** The old roots' devices ("major:minor"). */
  devices: z.array(z.string().max(32)).max(8),
  pssKb: count32,
  processes: z.array(pinnedProcess).max(50),
  scannedProcesses: count32,
  /** Processes whose memory maps the agent was not allowed to read (it lacks CAP_SYS_PTRACE): they may hold it too. */
  unreadableProcesses: count32.optional(),
  scanMs: z.number().min(0).max(3_600_000),
  /** When the scan ended, on the node's CLOCK_MONOTONIC (absent from older agents). */
  atUsec: usec.optional(),
});
export type PinnedRoot = z.infer<typeof pinnedRoot>;

export const unitState = z.object({
  name: unitName,
  activeState: z.string().max(32),
  subState: z.string().max(32),
  invocationId: z.string().max(64).nullable(),
  activeEnterUsec: usec,
  inactiveEnterUsec: usec,
  /** SurviveFinalKillSignal=yes: configured to keep running through a soft-reboot (absent: not known). */
  survives: z.boolean().optional(),
  /** The service's main process (0: none), for telling a survivor that really kept running. */
  mainPid: count32.optional(),
  /** The root it runs from when not the host's (RootImage= or RootDirectory=; absent: the host's, or not known). */
  ownRoot: z.string().max(512).optional(),
  /** A service's file descriptor store, when it has one (FileDescriptorStoreMax > 0). */
  fdStore: fdStore.optional(),
});
export type UnitState = z.infer<typeof unitState>;

/**
 * One of logind's inhibitor locks (ListInhibitors: what, who, why, mode, uid,
 * pid). From systemd 257 a `block` lock on "shutdown" stops even root's
 * reboot and soft-reboot; `block-weak` and `delay` do not.
 */
export const logindInhibitor = z.object({
  /** Colon-separated: shutdown, sleep, idle, handle-power-key, ... */
  what: z.string().max(256),
  who: z.string().max(256),
  why: z.string().max(512),
  mode: z.string().max(32),
  uid: count32,
  pid: count32,
});
export type LogindInhibitor = z.infer<typeof logindInhibitor>;

export const inhibitorStatus = z.enum(["idle", "taking", "held", "failed", "released"]);
export type InhibitorStatus = z.infer<typeof inhibitorStatus>;

/** What changes over a node's life; sent on connect and when it changes. */
export const nodeState = z.object({
  softRebootsCount: count32.nullable(),
  nextroot: z.object({ staged: z.boolean(), imageVersion: z.string().max(128).nullable() }),
  units: z.array(unitState).max(200),
  monotonicUsec: usec,
  /** The agent's shutdown delay lock: "held" is a healthy agent; null from agents that do not say. */
  inhibitor: inhibitorStatus.nullable().default(null),
  /** The node's Podman containers (absent: no Podman API on the node, or an older agent). */
  containers: z.array(containerState).max(200).optional(),
  /** The portable service images (absent: no portabled on the node, or an older agent). */
  portables: z.array(portableImage).max(64).optional(),
  /** The links systemd-networkd manages (absent: no networkd on the node, or an older agent). */
  network: z.array(networkLink).max(32).optional(),
  /** Every lock logind lists, the agent's own included (absent: logind not asked, or an older agent). */
  inhibitors: z.array(logindInhibitor).max(64).optional(),
  /** Old roots still pinned (rescanned while any is known); null: none to look for; absent: not reported. */
  pinnedRoot: pinnedRoot.nullable().optional(),
});
export type NodeState = z.infer<typeof nodeState>;
