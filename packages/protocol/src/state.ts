import { bootId, count32, labels, machineId, unitName, usec } from "./common";
import * as z from "./zod";

export const osRelease = z.object({
  id: z.nullable(z.string().check(z.maxLength(64))),
  versionId: z.nullable(z.string().check(z.maxLength(64))),
  imageId: z.nullable(z.string().check(z.maxLength(128))),
  imageVersion: z.nullable(z.string().check(z.maxLength(128))),
});

/** Who the node is; fixed for a boot. */
export const nodeIdentity = z.object({
  machineId,
  // No control characters: a hostname shows in pages, logs and exports.
  hostname: z
    .string()
    .check(z.minLength(1), z.maxLength(253), z.regex(/^[^\p{Cc}\p{Cf}]+$/u, "must not contain control characters")),
  bootId,
  osRelease,
  systemdVersion: z.nullable(z.number().check(z.int(), z.nonnegative(), z.maximum(100_000))),
  agentVersion: z.string().check(z.maxLength(64)),
  /** From the agent's config; group selectors match on them. */
  labels: z._default(labels, {}),
  /** A simulated agent (no real host behind it): marked as such everywhere. */
  simulated: z._default(z.boolean(), false),
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
  preserve: z.string().check(z.maxLength(16)),
});
export type FdStore = z.infer<typeof fdStore>;

/** A container as Podman reports it (its REST API): a payload that may run through soft-reboots. */
export const containerState = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(64)),
  name: z.string().check(z.maxLength(256)),
  image: z.string().check(z.maxLength(512)),
  state: z.string().check(z.maxLength(32)),
  /** Its main process on the host (0: not running). */
  pid: count32,
  /** When it started, in seconds since the epoch (0: never). */
  startedAt: z.number().check(z.int(), z.nonnegative(), z.maximum(1e11)),
  /** The unit that runs it (quadlet's PODMAN_SYSTEMD_UNIT label), or null. */
  unit: z.nullable(z.string().check(z.maxLength(256))),
});
export type ContainerState = z.infer<typeof containerState>;

/** A portable service image as systemd-portabled knows it (state: attached, running, detached, ...). */
export const portableImage = z.object({
  name: z.string().check(z.maxLength(256)),
  type: z.string().check(z.maxLength(32)),
  state: z.string().check(z.maxLength(32)),
});
export type PortableImage = z.infer<typeof portableImage>;

/**
 * A network link systemd-networkd manages (org.freedesktop.network1 Describe),
 * with its .network file's KeepConfiguration= and the kernel's count of
 * carrier losses: what a soft-reboot may keep or drop.
 */
export const networkLink = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(32)),
  /** networkd's OperationalState: routable, degraded, carrier, no-carrier, off, ... */
  operState: z.string().check(z.maxLength(32)),
  /** KeepConfiguration= of its .network file (no, static, dynamic-on-stop, dynamic, yes; older: dhcp...); null: not set. */
  keepConfiguration: z.nullable(z.string().check(z.maxLength(32))),
  networkFile: z.nullable(z.string().check(z.maxLength(512))),
  /** Its global addresses with their prefix length, such as "10.213.1.1/16". */
  addresses: z.array(z.string().check(z.maxLength(64))).check(z.maxLength(32)),
  /** /sys/class/net/NAME/carrier_down_count: how often the link lost its carrier (null: not readable). */
  carrierDownCount: z.nullable(count32),
});
export type NetworkLink = z.infer<typeof networkLink>;

/** A process that still references the root file system of an earlier userspace cycle. */
export const pinnedProcess = z.object({
  pid: count32,
  comm: z.string().check(z.maxLength(64)),
  /** The unit it runs in (from its cgroup), or null. */
  unit: z.nullable(z.string().check(z.maxLength(256))),
  /** How: its executable, cwd or root is there, it maps files from it, or its mount namespace still mounts it. */
  refs: z.array(z.enum(["exe", "cwd", "root", "mapped", "mounted"])).check(z.maxLength(5)),
  /** A few of the files (or mounts) it holds. */
  files: z.array(z.string().check(z.maxLength(512))).check(z.maxLength(5)),
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
  devices: z.array(z.string().check(z.maxLength(32))).check(z.maxLength(8)),
  pssKb: count32,
  processes: z.array(pinnedProcess).check(z.maxLength(50)),
  scannedProcesses: count32,
  /** Processes whose memory maps the agent was not allowed to read (it lacks CAP_SYS_PTRACE): they may hold it too. */
  unreadableProcesses: z.optional(count32),
  scanMs: z.number().check(z.minimum(0), z.maximum(3_600_000)),
  /** When the scan ended, on the node's CLOCK_MONOTONIC (absent from older agents). */
  atUsec: z.optional(usec),
});
export type PinnedRoot = z.infer<typeof pinnedRoot>;

export const unitState = z.object({
  name: unitName,
  activeState: z.string().check(z.maxLength(32)),
  subState: z.string().check(z.maxLength(32)),
  invocationId: z.nullable(z.string().check(z.maxLength(64))),
  activeEnterUsec: usec,
  inactiveEnterUsec: usec,
  /** SurviveFinalKillSignal=yes: configured to keep running through a soft-reboot (absent: not known). */
  survives: z.optional(z.boolean()),
  /** The service's main process (0: none), for telling a survivor that really kept running. */
  mainPid: z.optional(count32),
  /** The root it runs from when not the host's (RootImage= or RootDirectory=; absent: the host's, or not known). */
  ownRoot: z.optional(z.string().check(z.maxLength(512))),
  /** A service's file descriptor store, when it has one (FileDescriptorStoreMax > 0). */
  fdStore: z.optional(fdStore),
});
export type UnitState = z.infer<typeof unitState>;

/**
 * One of logind's inhibitor locks (ListInhibitors: what, who, why, mode, uid,
 * pid). From systemd 257 a `block` lock on "shutdown" stops even root's
 * reboot and soft-reboot; `block-weak` and `delay` do not.
 */
export const logindInhibitor = z.object({
  /** Colon-separated: shutdown, sleep, idle, handle-power-key, ... */
  what: z.string().check(z.maxLength(256)),
  who: z.string().check(z.maxLength(256)),
  why: z.string().check(z.maxLength(512)),
  mode: z.string().check(z.maxLength(32)),
  uid: count32,
  pid: count32,
});
export type LogindInhibitor = z.infer<typeof logindInhibitor>;

export const inhibitorStatus = z.enum(["idle", "taking", "held", "failed", "released"]);
export type InhibitorStatus = z.infer<typeof inhibitorStatus>;

/** What changes over a node's life; sent on connect and when it changes. */
export const nodeState = z.object({
  softRebootsCount: z.nullable(count32),
  nextroot: z.object({ staged: z.boolean(), imageVersion: z.nullable(z.string().check(z.maxLength(128))) }),
  units: z.array(unitState).check(z.maxLength(200)),
  monotonicUsec: usec,
  /** The agent's shutdown delay lock: "held" is a healthy agent; null from agents that do not say. */
  inhibitor: z._default(z.nullable(inhibitorStatus), null),
  /** The node's Podman containers (absent: no Podman API on the node, or an older agent). */
  containers: z.optional(z.array(containerState).check(z.maxLength(200))),
  /** The portable service images (absent: no portabled on the node, or an older agent). */
  portables: z.optional(z.array(portableImage).check(z.maxLength(64))),
  /** The links systemd-networkd manages (absent: no networkd on the node, or an older agent). */
  network: z.optional(z.array(networkLink).check(z.maxLength(32))),
  /** Every lock logind lists, the agent's own included (absent: logind not asked, or an older agent). */
  inhibitors: z.optional(z.array(logindInhibitor).check(z.maxLength(64))),
  /** Old roots still pinned (rescanned while any is known); null: none to look for; absent: not reported. */
  pinnedRoot: z.optional(z.nullable(pinnedRoot)),
});
export type NodeState = z.infer<typeof nodeState>;
