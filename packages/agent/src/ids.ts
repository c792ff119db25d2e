import { randomBytes } from "node:crypto";
import { monotonicUsec } from "./host";

/**
 * Event ids sort in the order the events were made: CLOCK_MONOTONIC in
 * microseconds, zero-padded, then random hex so ids from different nodes never
 * collide. The monotonic clock continues across soft-reboots and agent
 * restarts within a boot; the spool lives in /run, which a full reboot empties,
 * so ids never have to be compared across boots.
 */
export function createIdGenerator(clock: () => bigint = monotonicUsec) {
  let last = 0n;
  return (): string => {
    let now = clock();
    // Two events within one microsecond still get increasing ids.
    if (now <= last) now = last + 1n;
    last = now;
    return `${padUsec(now)}-${randomBytes(6).toString("hex")}`;
  };
}

export function padUsec(usec: bigint): string {
  return usec.toString().padStart(16, "0");
}
