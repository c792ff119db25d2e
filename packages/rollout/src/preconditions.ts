import type { RolloutPlan } from "./plan";

/** What the control plane knows of a node right before rebooting it. */
export interface NodeReadiness {
  online: boolean;
  /** The agent's shutdown delay inhibitor: "held" is a healthy agent; null when it does not say. */
  inhibitor: string | null;
  /** The image version the node runs now. */
  imageVersion: string | null;
  nextroot: { staged: boolean; imageVersion: string | null };
  /** logind's `block` locks on shutdown the node holds now: they stop its reboot (absent: none known). */
  blockers?: Blocker[];
}

/** A lock that stops a node's reboot, as its agent reported it. */
export interface Blocker {
  who: string;
  why: string;
  pid: number;
}

export type PreconditionResult = { ok: true } | { ok: false; outcome: "skip" | "fail"; reason: string };

/**
 * Whether a node may be rebooted now. An offline node or an unhealthy agent fails the node
 * (operators want to see it, and it counts towards the failure threshold); a missing target
 * image does what the plan says. A node already running the target with nothing staged is
 * skipped: there is nothing to roll out to it.
 */
export function checkPreconditions(
  node: NodeReadiness,
  plan: Pick<RolloutPlan, "targetImageVersion" | "whenNotStaged">,
): PreconditionResult {
  if (!node.online) return { ok: false, outcome: "fail", reason: "node is offline" };
  if (node.inhibitor !== "held") {
    const state = node.inhibitor === null ? "not reported" : node.inhibitor;
    return {
      ok: false,
      outcome: "fail",
      reason: `agent is not healthy: its shutdown delay inhibitor is ${state}, must be held`,
    };
  }
  const target = plan.targetImageVersion;
  if (target === null) return { ok: true };
  const { staged, imageVersion: stagedVersion } = node.nextroot;
  if (staged && stagedVersion === target) return { ok: true };
  if (!staged && node.imageVersion === target) {
    return { ok: false, outcome: "skip", reason: `already runs image version ${target}` };
  }
  const reason = staged
    ? `/run/nextroot holds image version ${stagedVersion ?? "unknown"}, expected ${target}`
    : `image version ${target} is not staged at /run/nextroot`;
  return { ok: false, outcome: plan.whenNotStaged, reason };
}
