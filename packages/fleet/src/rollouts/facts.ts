import { blocksShutdown, logindInhibitor } from "@softfleet/protocol";
import type { Blocker, NodeFacts, RebootOutcome, UnitActivity } from "@softfleet/rollout";

/** The live columns of a Node the rollout engine judges by. */
export interface NodeFactsRow {
  /** Null for a node whose facts were not loaded (it is done in its rollout). */
  nodeStatus: string | null;
  inhibitor: string | null;
  imageVersion: string | null;
  nextrootStaged: boolean | null;
  nextrootImageVersion: string | null;
  bootId: string | null;
  softRebootsCount: number | null;
  units: unknown;
  /** Node.inhibitors: logind's locks as the agent last listed them. */
  inhibitors?: unknown;
}

/** The `block` locks on shutdown in a node's inhibitors column (malformed entries left out). */
export function blockersOf(inhibitors: unknown): Blocker[] {
  if (!Array.isArray(inhibitors)) return [];
  return inhibitors.flatMap((lock) => {
    const parsed = logindInhibitor.safeParse(lock);
    return parsed.success && blocksShutdown(parsed.data)
      ? [{ who: parsed.data.who, why: parsed.data.why, pid: parsed.data.pid }]
      : [];
  });
}

export function unitActivities(units: unknown): UnitActivity[] {
  if (!Array.isArray(units)) return [];
  return units
    .filter((u): u is { name: string; activeState: string } => typeof u?.name === "string")
    .map((u) => ({ name: u.name, activeState: String(u.activeState) }));
}

export function factsOf(row: NodeFactsRow): NodeFacts {
  return {
    online: row.nodeStatus === "online",
    inhibitor: row.inhibitor,
    imageVersion: row.imageVersion,
    nextroot: { staged: row.nextrootStaged === true, imageVersion: row.nextrootImageVersion },
    bootId: row.bootId,
    softRebootsCount: row.softRebootsCount,
    units: unitActivities(row.units),
    blockers: blockersOf(row.inhibitors),
  };
}

/** A reboot record's columns, as the gate reads them. */
export interface RecordRow {
  kind: string;
  escalated: boolean;
  bootIdAfter: string;
  softRebootsCountAfter: number | null;
  imageVersionAfter: string | null;
  signalUsec: bigint | null;
  shutdownStartUsec: bigint | null;
  agentConnectedUsec: bigint;
  /** Units configured to survive that restarted instead (from the record's units). */
  survivorsRestarted: string[] | null;
  /** The old root still held after it: Pss in kB and the units (or processes) holding it. */
  pinnedRootKb: number | null;
  pinnedBy: string[] | null;
}

/**
 * Downtime: from the first known point of the shutdown (logind's signal, else
 * systemd's ShutdownStartTimestamp) to the agent connected again, on the node's
 * monotonic clock. Unknown after a full reboot, whose clock started again.
 */
export function downtimeMs(
  record: Pick<RecordRow, "kind" | "signalUsec" | "shutdownStartUsec" | "agentConnectedUsec">,
) {
  if (record.kind !== "soft-reboot") return null;
  const start = record.signalUsec ?? record.shutdownStartUsec;
  if (start === null) return null;
  return Number(record.agentConnectedUsec - start) / 1000;
}

export function outcomeOf(record: RecordRow, unitsNow: unknown): RebootOutcome {
  return {
    kind: record.kind === "full-reboot" ? "full-reboot" : "soft-reboot",
    escalated: record.escalated,
    bootIdAfter: record.bootIdAfter,
    softRebootsCountAfter: record.softRebootsCountAfter,
    imageVersionAfter: record.imageVersionAfter,
    downtimeMs: downtimeMs(record),
    units: unitActivities(unitsNow),
    survivorsRestarted: record.survivorsRestarted ?? [],
    pinnedRoot: record.pinnedRootKb ? { kb: record.pinnedRootKb, by: record.pinnedBy ?? [] } : null,
  };
}
