/**
 * A node's userspace cycles: each boot, and each soft-reboot within it, from
 * its reboot records. `journalctl --list-boots` shows boots only (a
 * soft-reboot keeps the boot id), so each cycle carries the journalctl
 * command that shows its own log: the boot id and, where they are known, the
 * cycle's start and end as UNIX times.
 */

/** What a reboot record tells about the cycles on either side of it. */
export interface CycleRecord {
  kind: string;
  bootIdBefore: string | null;
  bootIdAfter: string;
  softRebootsCountBefore: number | null;
  softRebootsCountAfter: number | null;
  imageVersionBefore: string | null;
  imageVersionAfter: string | null;
  /** When the server stored it: the node's clock is tied to the wall clock through agentConnectedUsec. */
  recordedAt: Date;
  signalUsec: bigint | null;
  shutdownStartUsec: bigint | null;
  userspaceUsec: bigint | null;
  agentConnectedUsec: bigint;
}

export interface Cycle {
  bootId: string | null;
  /** SoftRebootsCount during the cycle: 0 for the cycle a full boot started. */
  softReboots: number | null;
  imageVersion: string | null;
  /** Userspace started (null: before the first record, unknown). */
  startedAt: Date | null;
  /** Its shutdown started (null: still running, or ended by a full reboot whose old clock is gone). */
  endedAt: Date | null;
  endedBy: "soft-reboot" | "full-reboot" | null;
  /** The journalctl command that shows this cycle's log; null when its boot id is unknown. */
  journalctl: string | null;
}

/** A point on the node's monotonic clock as wall time, through the record's own agent-connected point. */
function wallTime(record: CycleRecord, usec: bigint | null): Date | null {
  if (usec === null) return null;
  return new Date(record.recordedAt.getTime() - Number(record.agentConnectedUsec - usec) / 1000);
}

export function journalctlCommand(bootId: string | null, startedAt: Date | null, endedAt: Date | null): string | null {
  if (!bootId || !/^[0-9a-f-]{32,36}$/i.test(bootId)) return null;
  const parts = ["journalctl", "-b", bootId.replaceAll("-", "").toLowerCase()];
  if (startedAt) parts.push(`--since=@${Math.floor(startedAt.getTime() / 1000)}`);
  if (endedAt) parts.push(`--until=@${Math.ceil(endedAt.getTime() / 1000)}`);
  return parts.join(" ");
}

/**
 * The cycles the records (oldest first) delimit, newest first: the one before
 * the first record, one between each two, and the current one after the last.
 */
export function cyclesOf(records: readonly CycleRecord[]): Cycle[] {
  if (records.length === 0) return [];
  const cycles: Omit<Cycle, "journalctl">[] = [];
  const first = records[0]!;
  cycles.push({
    bootId: first.bootIdBefore,
    softReboots: first.softRebootsCountBefore,
    imageVersion: first.imageVersionBefore,
    startedAt: null,
    endedAt: null,
    endedBy: null,
  });
  for (const record of records) {
    const ended = cycles.at(-1)!;
    const soft = record.kind === "soft-reboot";
    ended.endedBy = soft ? "soft-reboot" : "full-reboot";
    ended.endedAt = soft ? wallTime(record, record.shutdownStartUsec ?? record.signalUsec) : null;
    cycles.push({
      bootId: record.bootIdAfter,
      softReboots: record.softRebootsCountAfter,
      imageVersion: record.imageVersionAfter,
      startedAt: wallTime(record, record.userspaceUsec),
      endedAt: null,
      endedBy: null,
    });
  }
  return cycles
    .map((cycle) => ({ ...cycle, journalctl: journalctlCommand(cycle.bootId, cycle.startedAt, cycle.endedAt) }))
    .reverse();
}
