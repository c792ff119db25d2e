import type { z } from "zod";
import { type RolloutPlan, type RolloutPlanInput, rolloutPlan } from "./plan";

/** One thing wrong with a plan: `field` is the path in the plan ("batch.size"), `message` reads in a form. */
export interface PlanIssue {
  field: string;
  message: string;
}

/** How each field is called in the form. */
const fieldLabels: Record<string, string> = {
  group: "the group",
  canary: "canary",
  "canary.count": "canary size",
  batch: "batch",
  "batch.size": "batch size",
  "batch.percent": "batch percentage",
  maxUnavailable: "max unavailable",
  settleSec: "settle delay",
  approveAfterCanary: "approval after the canary",
  window: "maintenance window",
  "window.days": "window days",
  "window.start": "window start",
  "window.end": "window end",
  "window.timeZone": "window time zone",
  targetImageVersion: "target image version",
  whenNotStaged: "when the target is not staged",
  blockedTimeoutSec: "block inhibitor wait",
  autoRollback: "automatic rollback",
  image: "image",
  "image.url": "image URL",
  "image.sha256": "image SHA-256",
  staging: "staging",
  "staging.concurrency": "nodes staging at once",
  "staging.bandwidthMBps": "bandwidth per node",
  "staging.timeoutSec": "staging timeout",
  gate: "health gate",
  "gate.returnTimeoutSec": "return timeout",
  "gate.requiredUnits": "required units",
  "gate.maxDowntimeMs": "downtime budget",
  "gate.haltOnSurvivorRestart": "halt when a surviving payload restarted",
  "gate.maxPinnedRootMb": "pinned old root limit",
  failureThreshold: "failure threshold",
  "failureThreshold.count": "failure threshold",
  "failureThreshold.percent": "failure threshold percentage",
};

export function fieldLabel(field: string): string {
  // Array items ("window.days.2") are labelled as their array.
  const withoutIndexes = field.replace(/\.\d+$/, "");
  return fieldLabels[withoutIndexes] ?? (withoutIndexes || "the plan");
}

function nodes(n: number): string {
  return n === 1 ? "1 node" : `${n} nodes`;
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map(String).join(", ")}`;
  if (issue.code === "unrecognized_keys") return `has unknown fields: ${issue.keys.join(", ")}`;
  return issue.message;
}

/** zod's issues in the same shape as `validatePlanForGroup`'s. */
export function issuesFromZodError(error: z.ZodError): PlanIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    return { field: field || "plan", message: `${fieldLabel(field)} ${zodMessage(issue)}` };
  });
}

/** What is impossible about this plan for a group of `nodeCount` nodes; empty when it can run. */
export function validatePlanForGroup(plan: RolloutPlan, nodeCount: number): PlanIssue[] {
  if (nodeCount === 0) return [{ field: "group", message: "the group has no nodes: there is nothing to roll out" }];
  const issues: PlanIssue[] = [];
  if (plan.canary && plan.canary.count >= nodeCount) {
    issues.push({
      field: "canary.count",
      message: `canary size (${nodes(plan.canary.count)}) must be smaller than the group's ${nodes(nodeCount)}; turn the canary off for a group this small`,
    });
  }
  if (plan.maxUnavailable > nodeCount) {
    issues.push({
      field: "maxUnavailable",
      message: `max unavailable (${plan.maxUnavailable}) is above the group's ${nodes(nodeCount)}`,
    });
  }
  if (plan.image && !plan.targetImageVersion) {
    issues.push({
      field: "targetImageVersion",
      message: "a rollout that stages an image needs its version: the IMAGE_VERSION its os-release carries",
    });
  }
  if (plan.approveAfterCanary && !plan.canary) {
    issues.push({ field: "approveAfterCanary", message: "approval after the canary needs a canary" });
  }
  return issues;
}

/** Parse a plan and check it against the group: either the plan, or every issue found. */
export function parsePlanForGroup(
  input: RolloutPlanInput | unknown,
  nodeCount: number,
): { ok: true; plan: RolloutPlan } | { ok: false; issues: PlanIssue[] } {
  const parsed = rolloutPlan.safeParse(input);
  if (!parsed.success) return { ok: false, issues: issuesFromZodError(parsed.error) };
  const issues = validatePlanForGroup(parsed.data, nodeCount);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, plan: parsed.data };
}
