import type { BatchKind } from "./batches";
import type { FactsBefore, RebootOutcome, UnitActivity } from "./gate";
import type { BatchStatus, MachineKind, NodeStatus, RolloutStatus } from "./machine";
import type { RolloutPlan } from "./plan";
import type { NodeReadiness } from "./preconditions";

/** What the control plane knows of a node now (its live columns). */
export interface NodeFacts extends NodeReadiness {
  bootId: string | null;
  softRebootsCount: number | null;
  units: UnitActivity[];
}

export interface RolloutNode {
  nodeId: string;
  batchIndex: number;
  status: NodeStatus;
  /** When the engine commanded the reboot. */
  rebootStartedAt: Date | null;
  facts: NodeFacts;
  /** The node's boot when the engine commanded the reboot; the gate compares against it. */
  before: FactsBefore | null;
  /** The reboot command's fate at the agent; null while unanswered. */
  commandOutcome: "accepted" | "refused" | "expired" | null;
  /** The agent's reason for refusing. */
  commandReason: string | null;
  /** The reboot record that answered this rollout's command, once it arrived. */
  record: RebootOutcome | null;
  /** The image a rolling-back node returns to. */
  rollbackVersion?: string | null;
  /** A staging node's stage command: when it was sent and how it ended (null while under way). */
  stage?: { startedAt: Date | null; result: StageOutcome | null } | null;
  /** Since when block inhibitors hold this pending node, and who (null: not held). */
  blockedSince?: Date | null;
  blockedBy?: string | null;
  /** An operator chose to reboot it past block inhibitors (audited where it was set). */
  skipInhibitors?: boolean;
}

/** How an agent's staging ended. */
export interface StageOutcome {
  outcome: "staged" | "failed";
  code: string | null;
  reason: string | null;
  bytes: number | null;
  seconds: number | null;
}

export interface RolloutBatch {
  index: number;
  kind: BatchKind;
  status: BatchStatus;
  startedAt: Date | null;
  /** When its last node ended: the settle delay runs from here. */
  finishedAt: Date | null;
}

/** A rollout as loaded by the engine; nodes in the frozen plan order. */
export interface RolloutSnapshot {
  rollout: {
    id: string;
    status: RolloutStatus;
    plan: RolloutPlan;
    /** When a user approved the rollout after its canary; null before. */
    approvedAt: Date | null;
    /** Failed nodes when a user last resumed a halted rollout: only failures after it count towards the threshold. */
    failuresAcknowledged: number;
    /**
     * A rollback rollout: the rollout whose updated nodes it returns, each to its `rollbackVersion`
     * (the image it ran before). Its nodes roll back instead of rebooting; absent or null: a rollout.
     */
    rollbackOf?: string | null;
  };
  batches: RolloutBatch[];
  nodes: RolloutNode[];
  /**
   * The group's reboot slots FleetLock clients (Zincati and the like) hold now,
   * each as the node it names (or the hold's own id when it names none): each
   * takes a slot of max unavailable, and a node held so is not rebooted by
   * the rollout until its client releases it. Absent: none.
   */
  externalHolds?: string[];
}

export type Actor = { kind: "engine" } | { kind: "user"; userId: string };

/** One recorded transition. `subject` is the rollout id, the batch index, or the node id. */
export interface TransitionRecord {
  machine: MachineKind;
  subject: string;
  from: string;
  to: string;
  at: Date;
  reason: string;
  actor: Actor;
}

/** Whether the rollout returns another one's nodes to their previous images. */
export function isRollback(snapshot: RolloutSnapshot): boolean {
  return Boolean(snapshot.rollout.rollbackOf);
}

/**
 * Failed nodes, those rolled back (or rolling back) after failing their gate included. In a
 * rollback rollout rolling back is the work itself: only failed nodes count.
 */
export function countFailures(snapshot: RolloutSnapshot): number {
  const rollback = isRollback(snapshot);
  return snapshot.nodes.filter(
    (n) => n.status === "failed" || (!rollback && (n.status === "rolled-back" || n.status === "rolling-back")),
  ).length;
}

/** The status of a node that ended well: succeeded, or in a rollback rollout back on its previous image. */
export function doneStatus(snapshot: RolloutSnapshot): "succeeded" | "rolled-back" {
  return isRollback(snapshot) ? "rolled-back" : "succeeded";
}
