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
  /** A service's file descriptor store, when it has one (FileDescriptorStoreMax > 0). */
  fdStore: fdStore.optional(),
});
export type UnitState = z.infer<typeof unitState>;

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
});
export type NodeState = z.infer<typeof nodeState>;
