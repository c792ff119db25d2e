import type { Fault } from "./faults";
import { between, type Seed, seededRandom } from "./random";

/**
 * How long one reboot of a simulated node takes, in µs of its clock (already
 * scaled). Measured on a real soft-reboot into a staged image: ShutdownStart ->
 * Userspace 0.74 s, Userspace -> Finish 0.92 s; the ranges are around that.
 */
export interface RebootTimings {
  /** Signal acked -> ShutdownStartTimestamp: the agent releases its delay lock, logind proceeds. */
  lockReleaseUsec: bigint;
  /** Stopping units until the switch-root. */
  shutdownUsec: bigint;
  /** The new PID 1 starting -> UserspaceTimestamp (a soft-reboot: ShutdownStart -> Userspace is both). */
  userspaceStartUsec: bigint;
  /** UserspaceTimestamp -> FinishTimestamp. */
  bootToFinishUsec: bigint;
  /** FinishTimestamp -> the agent connected again. */
  agentStartUsec: bigint;
  /** A full reboot only: firmware and kernel, from the end of the shutdown to UserspaceTimestamp on the new clock. */
  firmwareUsec: bigint;
  kernelUsec: bigint;
  /** When during the shutdown (0..1) the ordinary unit stops, and when during the boot it is started again. */
  unitStopAt: number;
  unitStartAt: number;
  /** The factor of a slow reboot (5-10), 1 otherwise. */
  slowFactor: number;
}

export interface TimingInput {
  seed: Seed;
  index: number;
  /** Counts the node's reboots from 1: each gets its own draw. */
  rebootNumber: number;
  fault: Fault | null;
  timeScale: number;
}

/** The timings of one reboot, fixed by the seed, the node and which reboot it is. */
export function planReboot(input: TimingInput): RebootTimings {
  const random = seededRandom(input.seed, "reboot", input.index, input.rebootNumber);
  const ms = (min: number, max: number, factor = 1) => between(random, min, max) * factor;
  const slowFactor = input.fault === "slow" ? Math.round(between(random, 5, 10) * 10) / 10 : 1;
  const usec = (milliseconds: number) => BigInt(Math.max(1, Math.round(milliseconds * 1000 * input.timeScale)));
  return {
    lockReleaseUsec: usec(ms(1, 5)),
    shutdownUsec: usec(ms(80, 250, slowFactor)),
    userspaceStartUsec: usec(ms(300, 900, slowFactor)),
    bootToFinishUsec: usec(ms(100, 400, slowFactor)),
    agentStartUsec: usec(ms(10, 60)),
    firmwareUsec: usec(ms(1500, 4000)),
    kernelUsec: usec(ms(800, 2000)),
    unitStopAt: between(random, 0.1, 0.6),
    unitStartAt: between(random, 0.2, 0.9),
    slowFactor,
  };
}
