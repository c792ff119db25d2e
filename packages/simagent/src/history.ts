import type { RebootRecordEvent } from "@softfleet/protocol";
import type { Fault } from "./faults";
import type { RebootTimings } from "./timings";

/** What a simulated node did, in order, for tests to compare with what the control plane stored. */
export type HistoryEntry = { at: Date } & (
  | { type: "enrolled"; nodeId: string }
  | { type: "connected"; monotonicUsec: string; bootId: string; softRebootsCount: number; imageVersion: string }
  | { type: "staged"; imageVersion: string }
  | { type: "fault"; fault: Fault | null }
  | { type: "command"; commandId: string; outcome: "accepted" | "refused"; reason: string | null }
  | { type: "duplicate-command"; commandId: string }
  | { type: "shutdown-signal"; eventId: string | null; monotonicUsec: string; acked: boolean }
  | { type: "down"; kind: "soft-reboot" | "full-reboot" | "never-returns"; timings: RebootTimings }
  | { type: "booted"; kind: "soft-reboot" | "full-reboot"; bootId: string; softRebootsCount: number }
  | { type: "reboot-record"; eventId: string; record: RebootRecordEvent }
  | { type: "agent-stopped" }
  | { type: "agent-started" }
);

export type HistoryType = HistoryEntry["type"];
export type HistoryOf<T extends HistoryType> = Extract<HistoryEntry, { type: T }>;

/** An entry before it is stamped with its time. */
export type NewHistoryEntry = HistoryEntry extends infer E ? (E extends unknown ? Omit<E, "at"> : never) : never;
