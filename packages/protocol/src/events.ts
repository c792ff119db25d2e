import { bootId, count32, messageId, shutdownType, unitName, usec } from "./common";
import { containerState, networkLink, osRelease, pinnedRoot } from "./state";
import * as z from "./zod";

/** logind's PrepareForShutdown(WithMetadata) as the agent saw it. */
export const shutdownSignalEvent = z.object({
  type: z.literal("shutdown-signal"),
  /** true: a shutdown begins; false: it was cancelled or failed. */
  start: z.boolean(),
  shutdownType,
  /** The node's CLOCK_MONOTONIC and wall clock when the signal arrived. */
  monotonicUsec: usec,
  wallclock: z.iso.datetime(),
  bootId,
  softRebootsCount: z.nullable(count32),
});

export const unitContinuity = z.object({
  name: unitName,
  /** survived: same InvocationID; restarted: a new one; absent: not running after. */
  outcome: z.enum(["survived", "restarted", "absent", "unknown"]),
  invocationIdBefore: z.nullable(z.string().check(z.maxLength(64))),
  invocationIdAfter: z.nullable(z.string().check(z.maxLength(64))),
  inactiveEnterUsec: z.nullable(usec),
  activeEnterUsec: z.nullable(usec),
  /** Configured to survive (SurviveFinalKillSignal=yes) before the reboot: then a restart is a failed survival. */
  survives: z.optional(z.boolean()),
  mainPidBefore: z.optional(z.nullable(count32)),
  mainPidAfter: z.optional(z.nullable(count32)),
  /** The fd store before the reboot (null: unknown) and after it: kept, or emptied. */
  fdStore: z.optional(
    z.object({
      max: count32,
      preserve: z.string().check(z.maxLength(16)),
      before: z.nullable(count32),
      after: count32,
    }),
  ),
});
export type UnitContinuity = z.infer<typeof unitContinuity>;

/**
 * What a client of one payload saw through the reboot, from a prober on the
 * node that probes it every few ms: the longest time without an answer, and
 * the probes that failed (a slow answer is a gap without a failure).
 */
export const clientGap = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(64)),
  target: z.string().check(z.maxLength(256)),
  longestGapMs: z.number().check(z.minimum(0), z.maximum(86_400_000)),
  failedProbes: count32,
  /** The payload had not answered again when the record was made: the gap is at least this long. */
  open: z.boolean(),
});
export type ClientGap = z.infer<typeof clientGap>;

/**
 * What became of one container: kept-running (the same process, started at
 * the same time), restarted (it runs, but is not the one from before), gone
 * (it ran before and not after), new (not there before).
 */
export const containerContinuity = z.object({
  outcome: z.enum(["kept-running", "restarted", "gone", "new"]),
  before: z.nullable(containerState),
  after: z.nullable(containerState),
});
export type ContainerContinuity = z.infer<typeof containerContinuity>;

/**
 * What became of one managed link: kept (the same addresses, and its carrier
 * never dropped), changed (its addresses differ), went-down (it lost its
 * carrier in between), gone (not managed after), new (not managed before).
 */
export const linkContinuity = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(32)),
  outcome: z.enum(["kept", "changed", "went-down", "gone", "new"]),
  before: z.nullable(networkLink),
  after: z.nullable(networkLink),
});
export type LinkContinuity = z.infer<typeof linkContinuity>;

/** How long one unit took to stop or to start, from its own timestamps. */
export const unitTiming = z.object({ name: unitName, ms: z.number().check(z.minimum(0), z.maximum(86_400_000)) });
export type UnitTiming = z.infer<typeof unitTiming>;

/** Why a reboot was slow: the units slowest to stop in its shutdown and to start after it (top 10 each). */
export const unitBlame = z.object({
  /**
   * How many units stopped in the shutdown, and started in the boot, in all: of the kinds that take
   * time to (services, scopes, sockets, mounts, swaps, automounts; not targets, slices, devices,
   * paths or timers, which change state at once).
   */
  stopped: count32,
  started: count32,
  stop: z.array(unitTiming).check(z.maxLength(10)),
  start: z.array(unitTiming).check(z.maxLength(10)),
});
export type UnitBlame = z.infer<typeof unitBlame>;

/**
 * One reboot of a node, measured after it from systemd's own timestamps.
 * For a soft-reboot every point is on the same CLOCK_MONOTONIC.
 */
export const rebootRecordEvent = z.object({
  type: z.literal("reboot-record"),
  /** soft-reboot: same boot id, SoftRebootsCount +1; full-reboot: a new boot id. */
  kind: z.enum(["soft-reboot", "full-reboot"]),
  /**
   * What was asked for: the logind call as the agent saw it on the bus
   * (`systemctl reboot` asks for a reboot, which logind turns into a
   * soft-reboot when /run/nextroot holds a new root), else what the signal
   * announced; null when neither was seen.
   */
  requested: z.nullable(shutdownType),
  /** What logind's shutdown signal announced (absent from older agents: then `requested` is it). */
  announced: z.optional(z.nullable(shutdownType)),
  /** A soft-reboot was requested but the host booted afresh. */
  escalated: z.boolean(),
  /** The state from before was lost (a full reboot empties /run): the phases before it are unknown. */
  beforeLost: z.boolean(),
  bootIdBefore: z.nullable(bootId),
  bootIdAfter: bootId,
  softRebootsCountBefore: z.nullable(count32),
  softRebootsCountAfter: z.nullable(count32),
  imageBefore: z.nullable(osRelease),
  imageAfter: osRelease,
  phases: z.object({
    signalUsec: z.nullable(usec),
    shutdownStartUsec: z.nullable(usec),
    userspaceUsec: z.nullable(usec),
    finishUsec: z.nullable(usec),
    agentConnectedUsec: usec,
  }),
  units: z.array(unitContinuity).check(z.maxLength(200)),
  /** Null when the units could not be read; absent from agents before it existed. */
  blame: z.optional(z.nullable(unitBlame)),
  /**
   * After a soft-reboot into a new root: the processes still holding the old
   * one. Null when the root did not change (nothing to pin) or could not be
   * scanned; absent from agents before it existed.
   */
  pinnedRoot: z.optional(z.nullable(pinnedRoot)),
  /** Each Podman container before and after (absent: no Podman API on the node, or an older agent). */
  containers: z.optional(z.array(containerContinuity).check(z.maxLength(200))),
  /** Each managed network link before and after (absent: no networkd on the node, or an older agent). */
  network: z.optional(z.array(linkContinuity).check(z.maxLength(32))),
  /** Client-visible gaps per probed payload (absent: no prober on the node, or an older agent). */
  clientGaps: z.optional(z.array(clientGap).check(z.maxLength(32))),
  /** The id of the shutdown-signal event that announced it, if any. */
  signalEventId: z.nullable(messageId),
});
export type RebootRecordEvent = z.infer<typeof rebootRecordEvent>;

export const commandResultEvent = z.object({
  type: z.literal("command-result"),
  commandId: messageId,
  outcome: z.enum(["accepted", "refused"]),
  reason: z.nullable(z.string().check(z.maxLength(500))),
});

/** How a stage command ended: the image is mounted at /run/nextroot, or why not (nothing half-mounted is left). */
export const stageResultEvent = z.object({
  type: z.literal("stage-result"),
  commandId: messageId,
  outcome: z.enum(["staged", "failed"]),
  version: z.string().check(z.maxLength(128)),
  /** The stager's error code (digest-mismatch, no-space, ...) and what it said; null when staged. */
  code: z.nullable(z.string().check(z.maxLength(64))),
  reason: z.nullable(z.string().check(z.maxLength(2000))),
  /** The image's size, and whether an image staged before was reused (nothing downloaded). */
  bytes: z.nullable(z.number().check(z.int(), z.nonnegative(), z.maximum(1e13))),
  reused: z.boolean(),
  seconds: z.number().check(z.minimum(0), z.maximum(86_400 * 7)),
  /** How long the download alone took (null: nothing was downloaded; absent from older agents). */
  downloadSeconds: z.optional(z.nullable(z.number().check(z.minimum(0), z.maximum(86_400 * 7)))),
});
export type StageResultEvent = z.infer<typeof stageResultEvent>;

export const agentEvent = z.discriminatedUnion("type", [
  shutdownSignalEvent,
  rebootRecordEvent,
  commandResultEvent,
  stageResultEvent,
]);
export type AgentEvent = z.infer<typeof agentEvent>;
