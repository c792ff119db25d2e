import type { NodeEventData, RolloutEventData, TestEventData, WebhookEvent } from "./events";

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The version of the JSON payload's shape; a change that breaks receivers makes a new one. */
export const PAYLOAD_VERSION = 1;

/** The dashboard page of an event's subject, when the dashboard's public address is known. */
export function dashboardLink(event: WebhookEvent, publicUrl: string | null): string | null {
  if (!publicUrl) return null;
  const base = publicUrl.replace(/\/+$/, "");
  const data = event.data;
  if ("rollout" in data) return `${base}/rollouts/${encodeURIComponent(data.rollout.id)}`;
  if ("node" in data) return `${base}/nodes/${encodeURIComponent(data.node.id)}`;
  return `${base}/settings`;
}

/** A one-line account of the event, for people (Slack's text, the log). */
export function summaryOf(event: WebhookEvent): string {
  const data = event.data;
  if (event.type === "webhook.test") {
    const test = data as TestEventData;
    return `Test delivery to “${test.endpoint.name}”, sent by ${test.requestedBy}`;
  }
  if ("rollout" in data) {
    const { rollout, actor, rollback } = data as RolloutEventData;
    const subject = `Rollout of “${rollout.group}”`;
    const why = rollout.reason ? `: ${rollout.reason}` : "";
    switch (event.type) {
      case "rollout.started":
        return `${subject} started by ${actor.name}${why}`;
      case "rollout.paused":
        return `${subject} paused by ${actor.name}${why}`;
      case "rollout.halted":
        return `${subject} halted${why}`;
      case "rollout.approval_needed":
        return `${subject} waits for approval${why}`;
      case "rollout.finished":
        return `${subject} ${rollout.status}${why}`;
      case "rollout.rolled_back":
        return `${subject} is being rolled back by ${actor.name}${rollback ? ` (rollback ${rollback.id})` : ""}`;
    }
  }
  const { node, reason, reboot, pinnedRoot } = data as NodeEventData;
  switch (event.type) {
    case "node.escalated":
      return `Node ${node.hostname}: a soft-reboot escalated to a full reboot${reboot?.imageVersionAfter ? ` (now on image ${reboot.imageVersionAfter})` : ""}`;
    case "node.offline":
      return `Node ${node.hostname} is offline${reason ? `: ${reason}` : ""}`;
    case "node.pinned_root": {
      const holders = pinnedRoot?.processes.map((p) => p.comm).join(", ") ?? "";
      return `Node ${node.hostname}: an old root is still pinned (${Math.round((pinnedRoot?.pssKb ?? 0) / 1024)} MiB) by ${pinnedRoot?.processCount ?? 0} processes${holders ? `: ${holders}` : ""}`;
    }
  }
  return `${event.type}`;
}

/** Slack's (and Mattermost's) mrkdwn escapes: the three characters it treats as markup. */
const slackEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The request body for an endpoint of `format`: the same for every attempt of a delivery. */
export function renderPayload(format: WebhookFormat, event: WebhookEvent, publicUrl: string | null): string {
  const link = dashboardLink(event, publicUrl);
  if (format === "slack") {
    const text = `softfleet: ${slackEscape(summaryOf(event))}`;
    return JSON.stringify({ text: link ? `${text} <${link}|open in softfleet>` : text });
  }
  return JSON.stringify({
    version: PAYLOAD_VERSION,
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
    summary: summaryOf(event),
    data: event.data,
    links: link ? { dashboard: link } : {},
  });
}
