import { randomUUID } from "node:crypto";
import type { PinnedRoot, RebootRecordEvent } from "@softfleet/protocol";
import type { TransitionRecord } from "@softfleet/rollout";

/** The events an endpoint may subscribe to, in the order Settings lists them. */
export const WEBHOOK_EVENT_TYPES = [
  "rollout.started",
  "rollout.paused",
  "rollout.halted",
  "rollout.finished",
  "rollout.rolled_back",
  "rollout.approval_needed",
  "node.escalated",
  "node.offline",
  "node.pinned_root",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What each event says, for people choosing them. */
export const WEBHOOK_EVENT_LABELS: Record<WebhookEventType, string> = {
  "rollout.started": "a rollout started",
  "rollout.paused": "a rollout was paused",
  "rollout.halted": "a rollout halted (failures over its threshold, or a gate)",
  "rollout.finished": "a rollout completed or was aborted",
  "rollout.rolled_back": "a rollback of a rollout started",
  "rollout.approval_needed": "a rollout waits for approval after its canary",
  "node.escalated": "a node's soft-reboot escalated to a full reboot",
  "node.offline": "a node went offline",
  "node.pinned_root": "an old root is still pinned after a soft-reboot",
};

/** Sent by "send test" only: no endpoint subscribes to it. */
export const TEST_EVENT_TYPE = "webhook.test";

/** One thing that happened, as stored in the outbox and sent (version 1). */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType | typeof TEST_EVENT_TYPE;
  occurredAt: string;
  data: WebhookEventData;
}

export interface RolloutEventData {
  rollout: { id: string; group: string; status: string; previousStatus: string; reason: string };
  actor: { type: string; name: string };
  /** rollout.rolled_back: the rollback rollout now returning the nodes. */
  rollback?: { id: string };
}
export interface NodeEventData {
  node: { id: string; hostname: string };
  reason?: string;
  reboot?: {
    kind: string;
    requested: string | null;
    imageVersionBefore: string | null;
    imageVersionAfter: string | null;
  };
  pinnedRoot?: {
    devices: string[];
    pssKb: number;
    processCount: number;
    processes: Array<{ pid: number; comm: string; unit: string | null }>;
  };
}
export interface TestEventData {
  endpoint: { id: string; name: string };
  requestedBy: string;
}
export type WebhookEventData = RolloutEventData | NodeEventData | TestEventData;

const REASON_MAX = 500;
const clip = (text: string) => (text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text);

export function newEvent(type: WebhookEvent["type"], data: WebhookEventData, at = new Date()): WebhookEvent {
  return { id: randomUUID(), type, occurredAt: at.toISOString(), data };
}

/** The event type of a rollout's own transition, or null for one no endpoint hears of (a resume). */
export function rolloutEventType(from: string, to: string): WebhookEventType | null {
  if (from === "new" && to === "running") return "rollout.started";
  if (to === "paused") return "rollout.paused";
  if (to === "halted") return "rollout.halted";
  if (to === "awaiting-approval") return "rollout.approval_needed";
  if (to === "completed" || to === "aborted") return "rollout.finished";
  return null;
}

/** The events of a step's or action's transitions: only the rollout's own, never its batches' or nodes'. */
export function rolloutEvents(
  rollout: { id: string; group: string },
  transitions: ReadonlyArray<
    Pick<TransitionRecord, "machine" | "from" | "to" | "reason" | "at"> & { actorName: string; actorType: string }
  >,
): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  for (const t of transitions) {
    if (t.machine !== "rollout") continue;
    const type = rolloutEventType(t.from, t.to);
    if (!type) continue;
    const data: RolloutEventData = {
      rollout: { id: rollout.id, group: rollout.group, status: t.to, previousStatus: t.from, reason: clip(t.reason) },
      actor: { type: t.actorType, name: t.actorName },
    };
    events.push(newEvent(type, data, t.at));
  }
  return events;
}

/** A rollback of `original` started: its updated nodes return to the images they ran before. */
export function rolledBackEvent(
  original: { id: string; groupName: string; status: string },
  rollbackId: string,
  actorName: string,
  nodes: number,
  at = new Date(),
): WebhookEvent {
  const data: RolloutEventData = {
    rollout: {
      id: original.id,
      group: original.groupName,
      status: original.status,
      previousStatus: original.status,
      reason: `${nodes} nodes return to the images they ran before`,
    },
    actor: { type: "user", name: actorName },
    rollback: { id: rollbackId },
  };
  return newEvent("rollout.rolled_back", data, at);
}

type Node = { id: string; hostname: string };

/** What a reboot record tells endpoints: an escalation to a full reboot, an old root still pinned. */
export function rebootRecordEvents(node: Node, record: RebootRecordEvent, at = new Date()): WebhookEvent[] {
  const reboot = {
    kind: record.kind,
    requested: record.requested,
    imageVersionBefore: record.imageBefore?.imageVersion ?? null,
    imageVersionAfter: record.imageAfter.imageVersion ?? null,
  };
  const events: WebhookEvent[] = [];
  if (record.escalated) events.push(newEvent("node.escalated", { node, reboot }, at));
  const pinned = record.pinnedRoot ? pinnedRootSummary(record.pinnedRoot) : null;
  if (pinned) events.push(newEvent("node.pinned_root", { node, reboot, pinnedRoot: pinned }, at));
  return events;
}

/** The largest holders, enough to act on; the node's page has the rest. No process: nothing is pinned. */
function pinnedRootSummary(root: PinnedRoot): NodeEventData["pinnedRoot"] | null {
  if (root.processes.length === 0) return null;
  const top = [...root.processes].sort((a, b) => b.pssKb - a.pssKb).slice(0, 10);
  return {
    devices: root.devices,
    pssKb: root.pssKb,
    processCount: root.processes.length,
    processes: top.map((p) => ({ pid: p.pid, comm: p.comm, unit: p.unit })),
  };
}

export function nodeOfflineEvent(node: Node, reason: string, at = new Date()): WebhookEvent {
  return newEvent("node.offline", { node, reason }, at);
}
