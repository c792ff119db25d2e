import { describe, expect, it } from "vitest";
import { phaseDurations } from "./phases";

const t = (
  signal: number | null,
  start: number | null,
  userspace: number | null,
  finish: number | null,
  connected: number | null,
) => ({
  signalUsec: signal === null ? null : BigInt(signal),
  shutdownStartUsec: start === null ? null : BigInt(start),
  userspaceUsec: userspace === null ? null : BigInt(userspace),
  finishUsec: finish === null ? null : BigInt(finish),
  agentConnectedUsec: connected === null ? null : BigInt(connected),
});

describe("reboot phases", () => {
  it("are differences of the node's monotonic timestamps, in ms to the µs", () => {
    expect(phaseDurations(t(1_000_000, 1_000_250, 1_740_250, 2_660_250, 2_700_001), "soft-reboot")).toEqual({
      signalToShutdownMs: 0.25,
      shutdownMs: 740,
      bootMs: 920,
      reconnectMs: 39.751,
      totalMs: 1700.001,
    });
  });

  it("leave unknown what the node did not report, instead of guessing", () => {
    expect(phaseDurations(t(null, 5_000_000, 5_700_000, null, 6_000_000), "soft-reboot")).toEqual({
      signalToShutdownMs: null,
      shutdownMs: 700,
      bootMs: null,
      reconnectMs: null,
      totalMs: 1000,
    });
  });

  it("after a full reboot, compare only points of the new boot (the clock restarted)", () => {
    // signal and shutdown start are from the old boot's clock: larger than the new boot's values.
    const full = phaseDurations(t(900_000_000, 900_100_000, 2_000_000, 5_000_000, 6_000_000), "full-reboot");
    expect(full).toEqual({
      signalToShutdownMs: null,
      shutdownMs: null,
      bootMs: 3000,
      reconnectMs: 1000,
      totalMs: 4000,
    });
  });
});
