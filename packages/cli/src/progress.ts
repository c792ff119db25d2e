import type { RouterOutputs } from "@softfleet/api";
import { EXIT } from "./errors";

/** What the watch reads each poll: the rollout's state, its batches' counts and its newest transitions. */
export interface RolloutSnapshot {
  id: string;
  groupName: string;
  status: string;
  statusReason: string | null;
  plan: unknown;
  counts: Counts;
  batches: Array<{ index: number; kind: string; status: string; counts: Counts }>;
  transitions: Array<{
    id: string;
    at: Date;
    machine: string;
    subjectName: string;
    from: string;
    to: string;
    reason: string;
    actorName: string;
  }>;
}

/** How a rollout's nodes stand, as the API counts them. */
export type Counts = RouterOutputs["rollouts"]["get"]["counts"];

/** A node's downtime phases as the rollout report computes them (ms). */
export interface NodePhases {
  nodeId: string;
  hostname: string;
  status: string;
  reason: string | null;
  rebootType: string | null;
  signalToShutdownMs: number | null;
  shutdownMs: number | null;
  bootMs: number | null;
  reconnectMs: number | null;
  totalMs: number | null;
}

export const FINISHED = new Set(["completed", "halted", "aborted"]);

/** How `--wait` and `watch` end: 0 completed, 2 halted, 3 aborted. */
export function exitCodeOf(status: string): number {
  if (status === "halted") return EXIT.halted;
  if (status === "aborted") return EXIT.aborted;
  return EXIT.ok;
}

const ms = (value: number | null) => (value === null ? "?" : `${Math.round(value).toLocaleString("en-US")} ms`);
const time = (at: Date) => at.toISOString().slice(11, 19);

export function headerLine(rollout: RolloutSnapshot): string {
  const plan = (rollout.plan ?? {}) as { targetImageVersion?: string | null };
  const image = plan.targetImageVersion ? ` to image ${plan.targetImageVersion}` : "";
  const batches = rollout.batches.length;
  return `rollout ${rollout.id}: group "${rollout.groupName}"${image}, ${rollout.counts.total} nodes in ${batches} batch${batches === 1 ? "" : "es"}`;
}

export function countsLine(rollout: RolloutSnapshot): string {
  const c = rollout.counts;
  const current = rollout.batches.find((b) => b.status === "running") ?? null;
  const parts = [`${c.succeeded}/${c.total} succeeded`];
  if (c.staging) parts.push(`${c.staging} staging`);
  if (c.rebooting) parts.push(`${c.rebooting} rebooting`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.rolledBack) parts.push(`${c.rolledBack} rolled back`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  const batch = current ? `, batch ${current.index + 1}/${rollout.batches.length} (${current.kind})` : "";
  return `  progress: ${parts.join(", ")}${batch} [${rollout.status}]`;
}

/** A transition as the rollout page's event list says it ("canary", "batch 2", a hostname). */
export function transitionLine(t: RolloutSnapshot["transitions"][number]): string {
  const by = t.actorName && t.actorName !== "rollout engine" ? ` by ${t.actorName}` : "";
  const why = t.reason ? `: ${t.reason}` : "";
  const subject = t.machine === "rollout" ? "rollout" : t.machine === "batch" ? t.subjectName : `node ${t.subjectName}`;
  return `${time(t.at)}  ${subject}: ${t.from} -> ${t.to}${by}${why}`;
}

export function phasesLine(node: NodePhases): string {
  if (node.totalMs === null) return `    ${node.hostname}: ${node.status}${node.reason ? ` (${node.reason})` : ""}`;
  const type = node.rebootType && node.rebootType !== "soft-reboot" ? ` [${node.rebootType}]` : "";
  return (
    `    ${node.hostname}: down ${ms(node.totalMs)}${type} ` +
    `(signal->shutdown ${ms(node.signalToShutdownMs)}, shutdown ${ms(node.shutdownMs)}, ` +
    `boot ${ms(node.bootMs)}, reconnect ${ms(node.reconnectMs)})`
  );
}

/** The closing lines: the outcome, and what to do next when it is not a success. */
export function outcomeLines(rollout: RolloutSnapshot): string[] {
  const lines: string[] = [];
  const reason = rollout.statusReason ? `: ${rollout.statusReason}` : "";
  if (rollout.status === "completed") lines.push(`rollout ${rollout.id} completed`);
  if (rollout.status === "halted") {
    lines.push(`rollout ${rollout.id} HALTED${reason}`);
    lines.push(`  resume: softfleet rollout resume ${rollout.id}   abort: softfleet rollout abort ${rollout.id}`);
  }
  if (rollout.status === "aborted") lines.push(`rollout ${rollout.id} aborted${reason}`);
  return lines;
}

interface PhaseStat {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** The rollout's downtime over its reboots of one type: p50, p95 and max of the total and each phase. */
export function downtimeLine(stat: { rebootType: string; reboots: number; phases: Record<string, PhaseStat> }): string {
  const total = stat.phases.totalMs;
  const phase = (name: string, label: string) => {
    const s = stat.phases[name];
    return s?.n ? `${label} ${ms(s.p50)}` : null;
  };
  const parts = [
    phase("signalToShutdownMs", "signal->shutdown"),
    phase("shutdownMs", "shutdown"),
    phase("bootMs", "boot"),
    phase("reconnectMs", "reconnect"),
  ].filter(Boolean);
  const totals = total?.n ? `p50 ${ms(total.p50)}, p95 ${ms(total.p95)}, max ${ms(total.max)}` : "no totals";
  return `downtime of ${stat.reboots} ${stat.rebootType}${stat.reboots === 1 ? "" : "s"}: ${totals}${parts.length ? ` (p50 ${parts.join(", ")})` : ""}`;
}
