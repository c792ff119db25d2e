import type { RolloutPlan } from "./plan";

export type BatchKind = "canary" | "batch";

export interface PlannedBatch {
  index: number;
  kind: BatchKind;
  nodeIds: string[];
}

/** Nodes per (non-canary) batch: a size, or a percentage of the whole group rounded up, at least 1. */
export function batchSize(plan: Pick<RolloutPlan, "batch">, nodeCount: number): number {
  const size = "size" in plan.batch ? plan.batch.size : Math.ceil((plan.batch.percent * nodeCount) / 100);
  return Math.max(1, size);
}

/**
 * The batches of a rollout, in the order given (the caller sorts the nodes): the canary
 * first, then batches of `batchSize` with the last one taking what is left.
 */
export function planBatches(nodeIds: readonly string[], plan: Pick<RolloutPlan, "canary" | "batch">): PlannedBatch[] {
  const batches: PlannedBatch[] = [];
  let rest = nodeIds;
  if (plan.canary && rest.length > 0) {
    batches.push({ index: 0, kind: "canary", nodeIds: rest.slice(0, plan.canary.count) });
    rest = rest.slice(plan.canary.count);
  }
  const size = batchSize(plan, nodeIds.length);
  for (let start = 0; start < rest.length; start += size) {
    batches.push({ index: batches.length, kind: "batch", nodeIds: rest.slice(start, start + size) });
  }
  return batches;
}
