import type { RolloutPlan } from "./plan";

export interface UnitActivity {
  name: string;
  activeState: string;
}

/** The node's identity of boot, taken when the engine commanded its reboot. */
export interface FactsBefore {
  bootId: string | null;
  softRebootsCount: number | null;
  /** The image the node ran then: where an automatic rollback returns it to (absent: not known). */
  imageVersion?: string | null;
}

/** The reboot record the agent sent after coming back, with its units as they were then. */
export interface RebootOutcome {
  kind: "soft-reboot" | "full-reboot";
  escalated: boolean;
  bootIdAfter: string;
  softRebootsCountAfter: number | null;
  imageVersionAfter: string | null;
  /** From the first known point of the shutdown to the agent connected again; null when unknown. */
  downtimeMs: number | null;
  units: UnitActivity[];
  /** Units configured to survive (SurviveFinalKillSignal=yes) that restarted in this reboot instead. */
  survivorsRestarted: string[];
  /** The old root still held after the soft-reboot: its Pss and the units holding it; null when none. */
  pinnedRoot: { kb: number; by: string[] } | null;
}

export interface GateInput {
  before: FactsBefore | null;
  record: RebootOutcome | null;
  online: boolean;
  plan: Pick<RolloutPlan, "targetImageVersion" | "gate">;
}

/** A failed gate; `halt` when a payload condition failed: it halts the rollout whatever the failure threshold. */
export type GateResult = { ok: true } | { ok: false; reason: string; halt?: string };

function softRebootProblem(before: FactsBefore, record: RebootOutcome): string | null {
  const bootIdChanged = before.bootId !== record.bootIdAfter;
  const because = bootIdChanged ? " (boot id changed)" : "";
  if (record.escalated) return `escalated to a full reboot${because}`;
  if (record.kind === "full-reboot") return `did a full reboot instead of a soft-reboot${because}`;
  if (bootIdChanged)
    return `boot id changed from ${before.bootId ?? "unknown"} to ${record.bootIdAfter}: not a soft-reboot`;
  // Hosts before systemd 256 do not count soft-reboots: then the unchanged boot id is the proof.
  if (before.softRebootsCount === null) return null;
  if (record.softRebootsCountAfter === null) return "soft-reboots count was not reported after the reboot";
  const expected = before.softRebootsCount + 1;
  if (record.softRebootsCountAfter !== expected) {
    return `soft-reboots count went from ${before.softRebootsCount} to ${record.softRebootsCountAfter}, expected ${expected}`;
  }
  return null;
}

/** The payload conditions a plan may halt on: a survivor that restarted, an old root pinned over the limit. */
function payloadProblems(record: RebootOutcome, gate: RolloutPlan["gate"]): string[] {
  const problems: string[] = [];
  if (gate.haltOnSurvivorRestart && record.survivorsRestarted.length > 0) {
    problems.push(`a surviving payload restarted: ${record.survivorsRestarted.join(", ")}`);
  }
  const limit = gate.maxPinnedRootMb;
  const pinned = record.pinnedRoot;
  if (limit !== null && pinned && pinned.kb > limit * 1024) {
    const by = pinned.by.length > 0 ? ` by ${pinned.by.join(", ")}` : "";
    problems.push(`pinned old root ${(pinned.kb / 1024).toFixed(1)} MB${by}, over the limit of ${limit} MB`);
  }
  return problems;
}

/**
 * The health gate of one node after its reboot. Every check that fails is named, in the
 * order: came back, soft-reboot, image, units, downtime, payloads.
 */
export function evaluateGate(input: GateInput): GateResult {
  const { before, record, plan } = input;
  if (!record) return { ok: false, reason: "no reboot record arrived" };
  if (!input.online) return { ok: false, reason: "node is offline after its reboot" };
  if (!before) return { ok: false, reason: "the node's boot before the reboot was not recorded" };
  const problems: string[] = [];
  const soft = softRebootProblem(before, record);
  if (soft) problems.push(soft);
  const target = plan.targetImageVersion;
  if (target !== null && record.imageVersionAfter !== target) {
    problems.push(`image version is ${record.imageVersionAfter ?? "unknown"}, expected ${target}`);
  }
  for (const required of plan.gate.requiredUnits) {
    const unit = record.units.find((u) => u.name === required);
    if (!unit) problems.push(`unit ${required} is missing, must be active`);
    else if (unit.activeState !== "active") problems.push(`unit ${required} is ${unit.activeState}, must be active`);
  }
  const budget = plan.gate.maxDowntimeMs;
  if (budget !== null) {
    if (record.downtimeMs === null)
      problems.push(`downtime was not measured, so the budget of ${budget} ms is not met`);
    else if (record.downtimeMs > budget) {
      problems.push(`downtime ${Math.round(record.downtimeMs)} ms exceeds the budget of ${budget} ms`);
    }
  }
  const payloads = payloadProblems(record, plan.gate);
  problems.push(...payloads);
  if (problems.length === 0) return { ok: true };
  return payloads.length > 0
    ? { ok: false, reason: problems.join("; "), halt: payloads.join("; ") }
    : { ok: false, reason: problems.join("; ") };
}
