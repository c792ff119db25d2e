import { readFileSync } from "node:fs";
import { intFlag, numberFlag } from "./args";
import { CliError } from "./errors";

/** `rollout start`'s plan flags (the server validates the plan and names what is wrong). */
export const PLAN_FLAGS = {
  image: { type: "string" },
  "plan-file": { type: "string" },
  canary: { type: "string" },
  "no-canary": { type: "boolean" },
  "batch-size": { type: "string" },
  "batch-percent": { type: "string" },
  "max-unavailable": { type: "string" },
  settle: { type: "string" },
  "approve-after-canary": { type: "boolean" },
  "image-url": { type: "string" },
  "image-sha256": { type: "string" },
  "when-not-staged": { type: "string" },
  "return-timeout": { type: "string" },
  "required-unit": { type: "string", multiple: true },
  "max-downtime-ms": { type: "string" },
  "halt-on-survivor-restart": { type: "boolean" },
  "max-pinned-root-mb": { type: "string" },
  "auto-rollback": { type: "boolean" },
  "failure-count": { type: "string" },
  "failure-percent": { type: "string" },
} as const;

export type PlanFlags = {
  [K in keyof typeof PLAN_FLAGS]?: (typeof PLAN_FLAGS)[K] extends { type: "boolean" }
    ? boolean
    : (typeof PLAN_FLAGS)[K] extends { multiple: true }
      ? string[]
      : string;
};

function either<T>(a: [string, T | undefined], b: [string, T | undefined]): T | undefined {
  if (a[1] !== undefined && b[1] !== undefined) throw new CliError(`give --${a[0]} or --${b[0]}, not both`);
  return a[1] ?? b[1];
}

/** The plan object the API takes: a plan file's, with the flags given on top. */
export function planOf(flags: PlanFlags, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")) {
  let plan: Record<string, unknown> = {};
  if (flags["plan-file"]) {
    try {
      plan = JSON.parse(readFile(flags["plan-file"])) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`--plan-file: cannot read ${flags["plan-file"]} as JSON: ${(error as Error).message}`);
    }
    if (typeof plan !== "object" || plan === null || Array.isArray(plan)) {
      throw new CliError("--plan-file: the file must hold a JSON object (a rollout plan)");
    }
  }
  const gate = { ...((plan.gate as object | undefined) ?? {}) } as Record<string, unknown>;
  if (flags.image !== undefined) plan.targetImageVersion = flags.image;
  if (flags["no-canary"] && flags.canary !== undefined) throw new CliError("give --canary or --no-canary, not both");
  if (flags["no-canary"]) plan.canary = null;
  if (flags.canary !== undefined) plan.canary = { count: intFlag("canary", flags.canary) };
  const size = intFlag("batch-size", flags["batch-size"]);
  const percent = intFlag("batch-percent", flags["batch-percent"]);
  if (either(["batch-size", size], ["batch-percent", percent]) !== undefined) {
    plan.batch = size !== undefined ? { size } : { percent };
  }
  const set = (key: string, value: unknown, on: Record<string, unknown> = plan) => {
    if (value !== undefined) on[key] = value;
  };
  set("maxUnavailable", intFlag("max-unavailable", flags["max-unavailable"]));
  set("settleSec", intFlag("settle", flags.settle));
  if (flags["approve-after-canary"]) plan.approveAfterCanary = true;
  if (flags["image-url"] !== undefined || flags["image-sha256"] !== undefined) {
    if (!flags["image-url"] || !flags["image-sha256"]) throw new CliError("--image-url and --image-sha256 go together");
    plan.image = { url: flags["image-url"], sha256: flags["image-sha256"] };
  }
  if (flags["when-not-staged"] !== undefined) {
    if (!["skip", "fail"].includes(flags["when-not-staged"])) throw new CliError("--when-not-staged: skip or fail");
    plan.whenNotStaged = flags["when-not-staged"];
  }
  set("returnTimeoutSec", intFlag("return-timeout", flags["return-timeout"]), gate);
  set("requiredUnits", flags["required-unit"], gate);
  set("maxDowntimeMs", numberFlag("max-downtime-ms", flags["max-downtime-ms"]), gate);
  if (flags["halt-on-survivor-restart"]) gate.haltOnSurvivorRestart = true;
  set("maxPinnedRootMb", numberFlag("max-pinned-root-mb", flags["max-pinned-root-mb"]), gate);
  if (Object.keys(gate).length) plan.gate = gate;
  if (flags["auto-rollback"]) plan.autoRollback = true;
  const failureCount = intFlag("failure-count", flags["failure-count"]);
  const failurePercent = intFlag("failure-percent", flags["failure-percent"]);
  if (either(["failure-count", failureCount], ["failure-percent", failurePercent]) !== undefined) {
    plan.failureThreshold = failureCount !== undefined ? { count: failureCount } : { percent: failurePercent };
  }
  return plan;
}
