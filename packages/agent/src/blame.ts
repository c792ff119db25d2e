import type { UnitBlame, UnitTiming } from "@softfleet/protocol";

/** One unit's transition timestamps, systemd's own, on CLOCK_MONOTONIC in µs (0: never). */
export interface UnitTimes {
  name: string;
  activeExitUsec: bigint;
  inactiveEnterUsec: bigint;
  inactiveExitUsec: bigint;
  activeEnterUsec: bigint;
}

/** The cycle a record describes: its shutdown (soft-reboots only) and its boot. */
export interface BlameWindow {
  /** ShutdownStart of the soft-reboot; null after a full reboot (the stops happened on a clock now gone). */
  shutdownStartUsec: bigint | null;
  userspaceUsec: bigint;
  /** FinishTimestamp: starts after it (a timer firing later) are not the boot's. */
  finishUsec: bigint | null;
}

export const BLAME_TOP = 10;

const ms = (from: bigint, to: bigint) => Number(to - from) / 1000;

/**
 * Unit names in code-unit order. Not localeCompare: its first call loads ICU's collation
 * data into the agent, which keeps it, to order names that are ASCII.
 */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function top(timings: UnitTiming[]): UnitTiming[] {
  return timings.sort((a, b) => b.ms - a.ms || byCodeUnits(a.name, b.name)).slice(0, BLAME_TOP);
}

/**
 * Why a reboot was slow: the units that took longest to stop in its shutdown
 * (ActiveExit -> InactiveEnter, both after ShutdownStart and before the new
 * Userspace) and to start in the boot after it (InactiveExit -> ActiveEnter,
 * from Userspace to Finish). systemd keeps a unit's timestamps across a
 * soft-reboot, so both lists come from the new cycle's manager.
 */
export function unitBlame(units: readonly UnitTimes[], window: BlameWindow): UnitBlame {
  const stops: UnitTiming[] = [];
  const starts: UnitTiming[] = [];
  const { shutdownStartUsec: shutdown, userspaceUsec: userspace, finishUsec: finish } = window;
  for (const unit of units) {
    const exit = unit.activeExitUsec;
    if (shutdown !== null && exit >= shutdown && exit < userspace && unit.inactiveEnterUsec >= exit) {
      stops.push({ name: unit.name, ms: ms(exit, unit.inactiveEnterUsec) });
    }
    const begin = unit.inactiveExitUsec;
    if (
      userspace > 0n &&
      begin >= userspace &&
      unit.activeEnterUsec >= begin &&
      (finish === null || unit.activeEnterUsec <= finish)
    ) {
      starts.push({ name: unit.name, ms: ms(begin, unit.activeEnterUsec) });
    }
  }
  return { stopped: stops.length, started: starts.length, stop: top(stops), start: top(starts) };
}
