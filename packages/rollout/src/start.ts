import { planBatches } from "./batches";
import type { RolloutPlan } from "./plan";
import type { NodeFacts, RolloutSnapshot } from "./snapshot";

/**
 * A rollout as it starts: the node set frozen into its batches, everything pending.
 * Nodes in the order given (the caller sorts them); running, so the first decide() starts it.
 */
export function initialSnapshot(input: {
  id: string;
  plan: RolloutPlan;
  nodes: readonly { nodeId: string; facts: NodeFacts }[];
}): RolloutSnapshot {
  const batches = planBatches(
    input.nodes.map((n) => n.nodeId),
    input.plan,
  );
  const batchOf = new Map(batches.flatMap((b) => b.nodeIds.map((id) => [id, b.index] as const)));
  return {
    rollout: { id: input.id, status: "running", plan: input.plan, approvedAt: null, failuresAcknowledged: 0 },
    batches: batches.map((b) => ({
      index: b.index,
      kind: b.kind,
      status: "pending",
      startedAt: null,
      finishedAt: null,
    })),
    nodes: input.nodes.map((n) => ({
      nodeId: n.nodeId,
      batchIndex: batchOf.get(n.nodeId)!,
      status: "pending",
      rebootStartedAt: null,
      facts: n.facts,
      before: null,
      commandOutcome: null,
      commandReason: null,
      record: null,
    })),
  };
}
