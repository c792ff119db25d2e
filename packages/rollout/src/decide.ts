import { describeBlockers } from "@softfleet/protocol/payloads";
import type { Action, Decision } from "./actions";
import { applyActions } from "./apply";
import { evaluateGate } from "./gate";
import { isNodeDown, isTerminal, mayStartReboots } from "./machine";
import type { RolloutPlan } from "./plan";
import { checkPreconditions } from "./preconditions";
import {
  countFailures,
  doneStatus,
  isRollback,
  type RolloutBatch,
  type RolloutNode,
  type RolloutSnapshot,
} from "./snapshot";
import { isInWindow, nextWindowOpening } from "./window";

function nodes(n: number): string {
  return n === 1 ? "1 node" : `${n} nodes`;
}

function returnDeadline(node: RolloutNode, plan: RolloutPlan): Date | null {
  if (!node.rebootStartedAt) return null;
  return new Date(node.rebootStartedAt.getTime() + plan.gate.returnTimeoutSec * 1000);
}

function settleEnd(batch: RolloutBatch, plan: RolloutPlan): Date | null {
  if (!batch.finishedAt) return null;
  return new Date(batch.finishedAt.getTime() + plan.settleSec * 1000);
}

function isLastBatch(s: RolloutSnapshot, batch: RolloutBatch): boolean {
  return s.batches.every((b) => b.index <= batch.index);
}

function inWindow(plan: RolloutPlan, now: Date): boolean {
  return plan.window === null || isInWindow(plan.window, now);
}

/** Failures that count towards the threshold, and whether they exceed it. */
export function thresholdExceeded(s: RolloutSnapshot, failures = countFailures(s)): string | null {
  const counted = failures - s.rollout.failuresAcknowledged;
  const threshold = s.rollout.plan.failureThreshold;
  const since = s.rollout.failuresAcknowledged > 0 ? " since the rollout was resumed" : "";
  const failed = `${nodes(counted)} failed${since}`;
  if ("count" in threshold) {
    return counted > threshold.count ? `${failed}, more than the threshold of ${threshold.count}` : null;
  }
  const total = s.nodes.length;
  return counted * 100 > threshold.percent * total
    ? `${failed}, more than ${threshold.percent} % of ${nodes(total)}`
    : null;
}

/** Nodes rebooting: a refusal, an expired command, a record back online, or the timeout ends them. */
function judgeInFlight(s: RolloutSnapshot, now: Date): Action[] {
  const plan = s.rollout.plan;
  const actions: Action[] = [];
  let halt: string | null = null;
  for (const node of s.nodes.filter((n) => n.status === "rebooting")) {
    const { nodeId } = node;
    const deadline = returnDeadline(node, plan);
    if (node.commandOutcome === "refused") {
      const reason = `the agent refused the reboot: ${node.commandReason ?? "no reason given"}`;
      actions.push({ type: "node-failed", nodeId, reason });
    } else if (node.commandOutcome === "expired") {
      actions.push({ type: "node-failed", nodeId, reason: "the reboot command expired before the agent took it" });
    } else if (node.record && node.facts.online) {
      const gate = evaluateGate({ before: node.before, record: node.record, online: true, plan });
      const previous = node.before?.imageVersion ?? null;
      if (gate.ok) {
        actions.push({ type: "node-succeeded", nodeId, reason: "came back and passed the health gate" });
      } else if (plan.autoRollback && previous && previous !== node.record.imageVersionAfter) {
        const reason = `${gate.reason}: rolling back to IMAGE_VERSION ${previous}, the image it ran before`;
        actions.push({ type: "rollback-node", nodeId, version: previous, reason });
        halt ??= `a node failed its gate and is rolled back to IMAGE_VERSION ${previous}`;
      } else {
        actions.push({ type: "node-failed", nodeId, reason: gate.reason });
      }
      if (!gate.ok && gate.halt) halt ??= gate.halt;
    } else if (!deadline) {
      actions.push({ type: "node-failed", nodeId, reason: "the time of the reboot command was not recorded" });
    } else if (now >= deadline) {
      const timeout = plan.gate.returnTimeoutSec;
      const reason = node.record
        ? `came back but was not online within ${timeout} s`
        : `did not come back within ${timeout} s`;
      actions.push({ type: "node-failed", nodeId, reason });
    }
  }
  for (const node of s.nodes.filter((n) => n.status === "rolling-back")) {
    const { nodeId } = node;
    const version = node.rollbackVersion ?? "unknown";
    const deadline = returnDeadline(node, plan);
    if (node.commandOutcome === "refused") {
      actions.push({
        type: "node-failed",
        nodeId,
        reason: `rollback failed: ${node.commandReason ?? "no reason given"}`,
      });
    } else if (node.commandOutcome === "expired") {
      actions.push({ type: "node-failed", nodeId, reason: "the rollback command expired before the agent took it" });
    } else if (node.record && node.facts.online) {
      actions.push(
        node.record.imageVersionAfter === version
          ? { type: "node-rolled-back", nodeId, reason: `back on IMAGE_VERSION ${version}, the image it ran before` }
          : {
              type: "node-failed",
              nodeId,
              reason: `rollback came back on IMAGE_VERSION ${node.record.imageVersionAfter ?? "unknown"}, not ${version}`,
            },
      );
    } else if (deadline && now >= deadline) {
      actions.push({
        type: "node-failed",
        nodeId,
        reason: `did not come back from its rollback within ${plan.gate.returnTimeoutSec} s`,
      });
    }
  }
  // A payload condition of the gate halts at once, whatever the failure threshold.
  if (halt && (s.rollout.status === "running" || s.rollout.status === "paused")) {
    actions.push({ type: "halt", reason: `health gate: ${halt}` });
  }
  return actions;
}

function stageDeadline(node: RolloutNode, plan: RolloutPlan): Date | null {
  const started = node.stage?.startedAt;
  return started ? new Date(started.getTime() + plan.staging.timeoutSec * 1000) : null;
}

/** Staging nodes: a refusal, an expired command, the agent's result or the timeout ends them. */
function judgeStaging(s: RolloutSnapshot, now: Date): Action[] {
  const plan = s.rollout.plan;
  const target = plan.targetImageVersion;
  const actions: Action[] = [];
  for (const node of s.nodes.filter((n) => n.status === "staging")) {
    const { nodeId } = node;
    const result = node.stage?.result ?? null;
    const deadline = stageDeadline(node, plan);
    if (node.commandOutcome === "refused") {
      const reason = `the agent refused to stage: ${node.commandReason ?? "no reason given"}`;
      actions.push({ type: "node-failed", nodeId, reason });
    } else if (node.commandOutcome === "expired") {
      actions.push({ type: "node-failed", nodeId, reason: "the stage command expired before the agent took it" });
    } else if (result?.outcome === "failed") {
      const reason = `staging failed${result.code ? ` (${result.code})` : ""}: ${result.reason ?? "no reason given"}`;
      actions.push({ type: "node-failed", nodeId, reason });
    } else if (
      result?.outcome === "staged" &&
      node.facts.nextroot.staged &&
      node.facts.nextroot.imageVersion === target
    ) {
      const size = result.bytes === null ? "" : ` (${Math.round(result.bytes / 1e6)} MB`;
      const time = result.seconds === null ? "" : `${size ? ", " : " ("}${result.seconds.toFixed(1)} s`;
      const detail = size || time ? `${size}${time})` : "";
      actions.push({ type: "node-staged", nodeId, reason: `IMAGE_VERSION ${target} staged at /run/nextroot${detail}` });
    } else if (deadline && now >= deadline) {
      const reason =
        result?.outcome === "staged"
          ? `staged, but the agent does not report IMAGE_VERSION ${target} at /run/nextroot (it reports ${node.facts.nextroot.imageVersion ?? "nothing"})`
          : `staging did not finish within ${plan.staging.timeoutSec} s`;
      actions.push({ type: "node-failed", nodeId, reason });
    }
  }
  return actions;
}

/**
 * Stage the plan's image ahead: nodes of the open batch and of the next one,
 * in plan order, at most `staging.concurrency` at once. A node that cannot
 * be reached is left pending: its reboot check fails it in its turn.
 */
function stageAhead(s: RolloutSnapshot, open: RolloutBatch): Action[] {
  const plan = s.rollout.plan;
  if (!plan.image) return [];
  let free = plan.staging.concurrency - s.nodes.filter((n) => n.status === "staging").length;
  const actions: Action[] = [];
  for (const node of s.nodes) {
    if (free <= 0) break;
    if (node.status !== "pending" || node.batchIndex < open.index || node.batchIndex > open.index + 1) continue;
    const check = checkPreconditions(node.facts, { targetImageVersion: null, whenNotStaged: "fail" });
    if (!check.ok) continue;
    if (node.facts.imageVersion === plan.targetImageVersion && !node.facts.nextroot.staged) continue; // skipped in its turn
    const ahead = node.batchIndex > open.index || open.status === "pending" ? " ahead of its batch" : "";
    actions.push({
      type: "stage-node",
      nodeId: node.nodeId,
      reason: `staging IMAGE_VERSION ${plan.targetImageVersion}${ahead}`,
    });
    free--;
  }
  return actions;
}

function halt(s: RolloutSnapshot): Action[] {
  if (s.rollout.status !== "running" && s.rollout.status !== "paused") return [];
  const exceeded = thresholdExceeded(s);
  return exceeded ? [{ type: "halt", reason: exceeded }] : [];
}

function batchBookkeeping(s: RolloutSnapshot, now: Date): Action[] {
  const plan = s.rollout.plan;
  const actions: Action[] = [];
  for (const batch of s.batches) {
    const batchIndex = batch.index;
    if (batch.status === "running") {
      const mine = s.nodes.filter((n) => n.batchIndex === batchIndex);
      if (mine.every((n) => isTerminal("node", n.status))) {
        const ok = mine.filter((n) => n.status === doneStatus(s)).length;
        actions.push({
          type: "finish-batch",
          batchIndex,
          reason: `all its nodes ended: ${ok} of ${mine.length} ${isRollback(s) ? "rolled back" : "succeeded"}`,
        });
      }
    } else if (batch.status === "settling") {
      const end = settleEnd(batch, plan);
      if (isLastBatch(s, batch)) {
        actions.push({ type: "batch-settled", batchIndex, reason: "the last batch needs no settle delay" });
      } else if (end && now >= end) {
        actions.push({ type: "batch-settled", batchIndex, reason: `settled for ${plan.settleSec} s` });
      }
    }
  }
  return actions;
}

function approvalPending(s: RolloutSnapshot): boolean {
  return (
    s.rollout.plan.approveAfterCanary && s.rollout.approvedAt === null && s.batches.some((b) => b.kind === "canary")
  );
}

function progress(s: RolloutSnapshot, now: Date): Action[] {
  const { plan, status } = s.rollout;
  if (!mayStartReboots(status)) return [];
  if (s.batches.every((b) => b.status === "done")) {
    const count = (status: string) => s.nodes.filter((n) => n.status === status).length;
    const done = `${count(doneStatus(s))} ${isRollback(s) ? "rolled back" : "succeeded"}`;
    const reason = `all ${s.batches.length} batches are done: ${done}, ${count("failed")} failed, ${count("skipped")} skipped`;
    return [{ type: "complete", reason }];
  }
  const open = s.batches.find((b) => b.status !== "done");
  if (!open) return [];
  // While a batch settles, the next one's nodes may stage already.
  if (open.status === "settling") return stageAhead(s, open);
  if (open.status === "pending") {
    const canary = s.batches.find((b) => b.kind === "canary");
    if (open.kind !== "canary" && canary?.status === "done" && approvalPending(s)) {
      return [{ type: "await-approval", reason: "the canary batch is done: a user must approve the rest" }];
    }
    if (!inWindow(plan, now)) return [];
    const reason =
      open.kind === "canary" ? "the canary starts" : `batch ${open.index + 1} of ${s.batches.length} starts`;
    return [{ type: "start-batch", batchIndex: open.index, reason }];
  }
  if (open.status === "running" && inWindow(plan, now)) {
    const reboots = startReboots(s, open, now);
    return reboots.length > 0 ? reboots : stageAhead(s, open);
  }
  return [];
}

/** When a node held by block inhibitors fails; null when it is not held. A timeout of 0 fails it at once. */
function blockedDeadline(node: RolloutNode, plan: RolloutPlan): Date | null {
  if (plan.blockedTimeoutSec === 0) return new Date(0);
  if (!node.blockedSince) return null;
  return new Date(node.blockedSince.getTime() + plan.blockedTimeoutSec * 1000);
}

/** Reboot the running batch's next nodes up to max unavailable, checking each right before. */
function startReboots(s: RolloutSnapshot, batch: RolloutBatch, now: Date): Action[] {
  const plan = s.rollout.plan;
  // Nodes down for another coordinator (FleetLock holders) count too, once: not those this rollout reboots.
  const held = new Set(s.externalHolds ?? []);
  const rolloutDown = new Set(s.nodes.filter((n) => isNodeDown(n.status)).map((n) => n.nodeId));
  const heldElsewhere = [...held].filter((id) => !rolloutDown.has(id)).length;
  let free = plan.maxUnavailable - rolloutDown.size - heldElsewhere;
  let failures = countFailures(s);
  const actions: Action[] = [];
  const staging = plan.image !== null;
  // A rollback needs no target staged: its agent stages the image it kept.
  const rollback = isRollback(s);
  const candidates = s.nodes.filter(
    (n) => n.batchIndex === batch.index && (n.status === "pending" || n.status === "staged"),
  );
  for (const node of candidates) {
    if (free <= 0) break;
    const { nodeId } = node;
    // Its FleetLock client is rebooting it (or holds it down): its turn waits for the release.
    if (held.has(nodeId)) continue;
    const check = checkPreconditions(node.facts, rollback ? { targetImageVersion: null, whenNotStaged: "fail" } : plan);
    // With an image to stage, a healthy pending node waits for its staging (stageAhead starts it).
    const unreachable = !checkPreconditions(node.facts, { targetImageVersion: null, whenNotStaged: "fail" }).ok;
    if (staging && node.status === "pending" && !unreachable && !(check.ok === false && check.outcome === "skip")) {
      continue;
    }
    const blockers = node.skipInhibitors ? [] : (node.facts.blockers ?? []);
    if (check.ok && blockers.length > 0) {
      // Held by block inhibitors: the node waits, not taking a reboot slot, until they go or time is up.
      const deadline = blockedDeadline(node, plan);
      if (deadline && now >= deadline) {
        const reason = `held by block inhibitors for ${plan.blockedTimeoutSec} s: ${describeBlockers(blockers)}`;
        actions.push({ type: "node-failed", nodeId, reason });
        failures++;
        if (thresholdExceeded(s, failures)) break;
      } else if (!node.blockedSince) {
        actions.push({ type: "node-blocked", nodeId, reason: describeBlockers(blockers) });
      }
    } else if (check.ok && rollback && !node.rollbackVersion) {
      actions.push({ type: "node-failed", nodeId, reason: "the image it ran before was not recorded" });
      failures++;
      if (thresholdExceeded(s, failures)) break;
    } else if (check.ok) {
      const skipped = node.skipInhibitors ? "; block inhibitors skipped by an operator" : "";
      if (rollback) {
        const version = node.rollbackVersion!;
        actions.push({
          type: "rollback-node",
          nodeId,
          version,
          reason: `rolling back to IMAGE_VERSION ${version}, the image it ran before${skipped}`,
        });
      } else {
        actions.push({ type: "reboot-node", nodeId, reason: `preconditions met${skipped}` });
      }
      free--;
    } else if (check.outcome === "skip") {
      actions.push({ type: "node-skipped", nodeId, reason: check.reason });
    } else {
      actions.push({ type: "node-failed", nodeId, reason: check.reason });
      failures++;
      // The halt comes next: no further reboot may start past the threshold.
      if (thresholdExceeded(s, failures)) break;
    }
  }
  return actions;
}

/** One step: the actions of the first rule that has any, in priority order. */
function nextActions(s: RolloutSnapshot, now: Date): Action[] {
  const judged = [...judgeInFlight(s, now), ...judgeStaging(s, now)];
  if (judged.length > 0) return judged;
  const halted = halt(s);
  if (halted.length > 0) return halted;
  if (s.rollout.status === "aborted") {
    const inFlight = s.nodes.some((n) => isNodeDown(n.status));
    const leftovers =
      s.nodes.some((n) => n.status === "pending" || n.status === "staging" || n.status === "staged") ||
      s.batches.some((b) => !isTerminal("batch", b.status));
    return !inFlight && leftovers ? [{ type: "cancel-pending-nodes", reason: "the rollout was aborted" }] : [];
  }
  if (s.rollout.status === "completed") return [];
  const bookkeeping = batchBookkeeping(s, now);
  if (bookkeeping.length > 0) return bookkeeping;
  return progress(s, now);
}

function wakeAt(s: RolloutSnapshot, now: Date): Date | null {
  const plan = s.rollout.plan;
  const times: Date[] = [];
  for (const node of s.nodes) {
    const deadline = isNodeDown(node.status)
      ? returnDeadline(node, plan)
      : node.status === "staging"
        ? stageDeadline(node, plan)
        : null;
    if (deadline) times.push(deadline);
  }
  for (const batch of s.batches) {
    const end = batch.status === "settling" ? settleEnd(batch, plan) : null;
    if (end) times.push(end);
  }
  if (mayStartReboots(s.rollout.status)) {
    for (const node of s.nodes) {
      const deadline = node.status === "pending" && node.blockedSince ? blockedDeadline(node, plan) : null;
      if (deadline) times.push(deadline);
    }
  }
  const waiting = s.nodes.some((n) => n.status === "pending");
  if (plan.window && waiting && mayStartReboots(s.rollout.status) && !isInWindow(plan.window, now)) {
    const opening = nextWindowOpening(plan.window, now);
    if (opening) times.push(opening);
  }
  const future = times.filter((t) => t > now).map((t) => t.getTime());
  return future.length > 0 ? new Date(Math.min(...future)) : null;
}

/**
 * What the engine must do now. Deterministic in (snapshot, now), and idempotent: the
 * actions are applied here to a copy until nothing more follows, so decide() on the
 * snapshot with the actions applied returns none.
 */
export function decide(snapshot: RolloutSnapshot, now: Date): Decision {
  const actions: Action[] = [];
  let current = snapshot;
  // Every step moves a node, batch or the rollout forward: this bounds the steps.
  const maxSteps = 2 * snapshot.nodes.length + 3 * snapshot.batches.length + 8;
  for (let step = 0; step < maxSteps; step++) {
    const next = nextActions(current, now);
    if (next.length === 0) break;
    actions.push(...next);
    current = applyActions(current, next, now).snapshot;
  }
  return { actions, wakeAt: wakeAt(current, now) };
}
