import type { RouterInputs } from "@softfleet/api";

/** The plan as the API takes it (validated there by @softfleet/rollout's schema). */
export type PlanInput = RouterInputs["rollouts"]["create"]["plan"];

export const weekdays = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;
export type Weekday = (typeof weekdays)[number][0];

/** The form's fields as typed: numbers stay text until sent, so the server can say what is wrong with them. */
export interface PlanForm {
  canaryOn: boolean;
  canaryCount: string;
  batchBy: "size" | "percent";
  batchSize: string;
  batchPercent: string;
  maxUnavailable: string;
  settleSec: string;
  approveAfterCanary: boolean;
  windowOn: boolean;
  windowDays: Weekday[];
  windowStart: string;
  windowEnd: string;
  windowTimeZone: string;
  targetImageVersion: string;
  /** Stage the image in the rollout (else rely on one staged by someone else). */
  imageOn: boolean;
  imageUrl: string;
  imageSha256: string;
  stagingConcurrency: string;
  stagingBandwidthMBps: string;
  whenNotStaged: "skip" | "fail";
  blockedTimeoutSec: string;
  returnTimeoutSec: string;
  requiredUnits: string;
  maxDowntimeMs: string;
  haltOnSurvivorRestart: boolean;
  autoRollback: boolean;
  maxPinnedRootMb: string;
  thresholdBy: "count" | "percent";
  thresholdCount: string;
  thresholdPercent: string;
}

/** The plan schema's defaults (packages/rollout/src/plan.ts); the window's are a suggestion once it is on. */
export const defaultPlanForm: PlanForm = {
  canaryOn: true,
  canaryCount: "1",
  batchBy: "percent",
  batchSize: "1",
  batchPercent: "25",
  maxUnavailable: "1",
  settleSec: "30",
  approveAfterCanary: false,
  windowOn: false,
  windowDays: ["mon", "tue", "wed", "thu", "fri"],
  windowStart: "22:00",
  windowEnd: "04:00",
  windowTimeZone: "",
  targetImageVersion: "",
  imageOn: false,
  imageUrl: "",
  imageSha256: "",
  stagingConcurrency: "2",
  stagingBandwidthMBps: "",
  whenNotStaged: "fail",
  blockedTimeoutSec: "600",
  returnTimeoutSec: "300",
  requiredUnits: "",
  maxDowntimeMs: "",
  haltOnSurvivorRestart: false,
  autoRollback: false,
  maxPinnedRootMb: "",
  thresholdBy: "count",
  thresholdCount: "0",
  thresholdPercent: "10",
};

/** A number when the text is one; otherwise the text itself, which the schema refuses with a message. */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

export function planOf(form: PlanForm): PlanInput {
  const maxDowntime = form.maxDowntimeMs.trim();
  const maxPinned = form.maxPinnedRootMb.trim();
  return {
    canary: form.canaryOn ? { count: numberOf(form.canaryCount) } : null,
    batch: form.batchBy === "size" ? { size: numberOf(form.batchSize) } : { percent: numberOf(form.batchPercent) },
    maxUnavailable: numberOf(form.maxUnavailable),
    settleSec: numberOf(form.settleSec),
    approveAfterCanary: form.approveAfterCanary,
    window: form.windowOn
      ? { days: form.windowDays, start: form.windowStart, end: form.windowEnd, timeZone: form.windowTimeZone.trim() }
      : null,
    targetImageVersion: form.targetImageVersion.trim() || null,
    image: form.imageOn ? { url: form.imageUrl.trim(), sha256: form.imageSha256.trim() } : null,
    staging: {
      concurrency: numberOf(form.stagingConcurrency),
      bandwidthMBps: form.stagingBandwidthMBps.trim() === "" ? null : numberOf(form.stagingBandwidthMBps),
    },
    whenNotStaged: form.whenNotStaged,
    blockedTimeoutSec: numberOf(form.blockedTimeoutSec),
    gate: {
      returnTimeoutSec: numberOf(form.returnTimeoutSec),
      requiredUnits: form.requiredUnits
        .split(",")
        .map((unit) => unit.trim())
        .filter(Boolean),
      maxDowntimeMs: maxDowntime === "" ? null : numberOf(maxDowntime),
      haltOnSurvivorRestart: form.haltOnSurvivorRestart,
      maxPinnedRootMb: maxPinned === "" ? null : numberOf(maxPinned),
    },
    autoRollback: form.autoRollback,
    failureThreshold:
      form.thresholdBy === "count"
        ? { count: numberOf(form.thresholdCount) }
        : { percent: numberOf(form.thresholdPercent) },
  };
}

/** Messages by plan field ("batch.size"); list items ("window.days.2") count as their list. */
export type FieldMessages = Record<string, string[]>;

export function messagesByField(issues: { field: string; message: string }[]): FieldMessages {
  const byField: FieldMessages = {};
  for (const { field, message } of issues) {
    const key = field.replace(/(\.\d+)+$/, "");
    byField[key] = [...(byField[key] ?? []), message];
  }
  return byField;
}

export function mergeMessages(a: FieldMessages, b: FieldMessages): FieldMessages {
  const merged: FieldMessages = { ...a };
  for (const [field, messages] of Object.entries(b)) {
    merged[field] = [...new Set([...(merged[field] ?? []), ...messages])];
  }
  return merged;
}
