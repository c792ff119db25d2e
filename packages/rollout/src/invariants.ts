import type { RolloutSnapshot } from "./snapshot";
import { isInWindow } from "./window";

export interface Moment {
  at: Date;
  snapshot: RolloutSnapshot;
}

export interface Violation {
  at: Date;
  rule: "max-unavailable" | "rebooted-twice" | "reboot-while-not-running" | "reboot-outside-window" | "batch-order";
  message: string;
}

/**
 * The rollout's safety rules over a history of snapshots, one after every change (an event,
 * a user's action, the engine's actions). A reboot started between two moments was decided
 * under the earlier one's status, at the later one's time.
 */
export function checkInvariants(history: readonly Moment[]): Violation[] {
  const violations: Violation[] = [];
  // The start of each node's reboot seen so far: a different start is a second reboot.
  const rebootedAt = new Map<string, number>();
  let previous: Moment | null = null;
  for (const moment of history) {
    const { at, snapshot: s } = moment;
    const plan = s.rollout.plan;
    const rebooting = s.nodes.filter((n) => n.status === "rebooting");
    if (rebooting.length > plan.maxUnavailable) {
      violations.push({
        at,
        rule: "max-unavailable",
        message: `${rebooting.length} nodes rebooting at once, max unavailable is ${plan.maxUnavailable}`,
      });
    }
    for (const node of rebooting) {
      const startedAt = node.rebootStartedAt?.getTime() ?? -1;
      const seen = rebootedAt.get(node.nodeId);
      if (seen === startedAt) continue;
      if (seen !== undefined) {
        violations.push({ at, rule: "rebooted-twice", message: `node ${node.nodeId} rebooted a second time` });
      }
      rebootedAt.set(node.nodeId, startedAt);
      const decidedUnder = previous?.snapshot.rollout.status ?? s.rollout.status;
      // Spelled out rather than mayStartReboots(): the check must not share the code it checks.
      if (decidedUnder !== "running") {
        violations.push({
          at,
          rule: "reboot-while-not-running",
          message: `node ${node.nodeId} rebooted while the rollout was ${decidedUnder}`,
        });
      }
      if (plan.window && !isInWindow(plan.window, at)) {
        violations.push({
          at,
          rule: "reboot-outside-window",
          message: `node ${node.nodeId} rebooted outside the window`,
        });
      }
      const earlier = s.batches.filter((b) => b.index < node.batchIndex && b.status !== "done");
      const own = s.batches.find((b) => b.index === node.batchIndex);
      if (earlier.length > 0 || own?.status !== "running") {
        violations.push({
          at,
          rule: "batch-order",
          message: `node ${node.nodeId} of batch ${node.batchIndex} rebooted while batch ${earlier[0]?.index ?? node.batchIndex} was ${earlier[0]?.status ?? own?.status}`,
        });
      }
    }
    for (const node of s.nodes) {
      // Left rebooting: any later reboot of it is a second one, even with the same start time.
      if (node.status !== "rebooting" && rebootedAt.has(node.nodeId)) rebootedAt.set(node.nodeId, -2);
    }
    previous = moment;
  }
  return violations;
}
