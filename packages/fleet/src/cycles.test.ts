import { describe, expect, it } from "vitest";
import { type CycleRecord, cyclesOf, journalctlCommand } from "./cycles";

const BOOT_A = "15e8f250-1b7c-4a55-b3a2-0a1f8107e888";
const BOOT_B = "8d1c2b3a-0000-4111-8222-933344445555";

/** A record stored 10:00:10 UTC when the agent connected at 1,010 s on the node's clock. */
function record(over: Partial<CycleRecord>): CycleRecord {
  return {
    kind: "soft-reboot",
    bootIdBefore: BOOT_A,
    bootIdAfter: BOOT_A,
    softRebootsCountBefore: 0,
    softRebootsCountAfter: 1,
    imageVersionBefore: "1",
    imageVersionAfter: "2",
    recordedAt: new Date("2026-12-04T10:00:10.000Z"),
    signalUsec: 1_000_000_000n,
    shutdownStartUsec: 1_000_500_000n,
    userspaceUsec: 1_002_000_000n,
    agentConnectedUsec: 1_010_000_000n,
    ...over,
  };
}

describe("a node's boots and soft-reboots", () => {
  it("splits the node's life at each record, newest first, with the times from its own clock", () => {
    const cycles = cyclesOf([
      record({}),
      record({
        kind: "full-reboot",
        bootIdAfter: BOOT_B,
        softRebootsCountBefore: 1,
        softRebootsCountAfter: 0,
        imageVersionBefore: "2",
        imageVersionAfter: "2",
        recordedAt: new Date("2026-12-04T11:00:00.000Z"),
        signalUsec: null,
        shutdownStartUsec: null,
        userspaceUsec: 3_000_000n,
        agentConnectedUsec: 8_000_000n,
      }),
    ]);
    expect(cycles).toEqual([
      {
        bootId: BOOT_B,
        softReboots: 0,
        imageVersion: "2",
        startedAt: new Date("2026-12-04T10:59:55.000Z"),
        endedAt: null,
        endedBy: null,
        journalctl: "journalctl -b 8d1c2b3a000041118222933344445555 --since=@1796381995",
      },
      {
        bootId: BOOT_A,
        softReboots: 1,
        imageVersion: "2",
        // Userspace 8 s before the agent connected at 10:00:10.
        startedAt: new Date("2026-12-04T10:00:02.000Z"),
        // Ended by a full reboot: the old clock is gone, so the end is unknown.
        endedAt: null,
        endedBy: "full-reboot",
        journalctl: "journalctl -b 15e8f2501b7c4a55b3a20a1f8107e888 --since=@1796378402",
      },
      {
        bootId: BOOT_A,
        softReboots: 0,
        imageVersion: "1",
        startedAt: null,
        // Its shutdown started 9.5 s before the agent connected.
        endedAt: new Date("2026-12-04T10:00:00.500Z"),
        endedBy: "soft-reboot",
        journalctl: "journalctl -b 15e8f2501b7c4a55b3a20a1f8107e888 --until=@1796378401",
      },
    ]);
  });

  it("has nothing to say without records, and no command for an unknown boot", () => {
    expect(cyclesOf([])).toEqual([]);
    expect(cyclesOf([record({ bootIdBefore: null })]).at(-1)?.journalctl).toBeNull();
    expect(journalctlCommand("not a boot id; rm -rf /", null, null)).toBeNull();
  });
});
