/** The statuses of rollouts, their batches and nodes, as text plus colour (never colour alone). */
import type { NodeCounts } from "@softfleet/api/rollout-view";

const tones = {
  neutral: {
    badge: "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30",
    bar: "bg-zinc-400 dark:bg-zinc-500",
  },
  active: {
    badge: "bg-sky-50 text-sky-800 ring-sky-600/30 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-400/30",
    bar: "bg-sky-600 dark:bg-sky-400",
  },
  waiting: {
    badge: "bg-amber-50 text-amber-900 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-400/30",
    bar: "bg-amber-500 dark:bg-amber-400",
  },
  good: {
    badge: "bg-green-50 text-green-800 ring-green-600/30 dark:bg-green-950 dark:text-green-200 dark:ring-green-400/30",
    bar: "bg-green-600 dark:bg-green-500",
  },
  bad: {
    badge: "bg-red-50 text-red-800 ring-red-600/30 dark:bg-red-950 dark:text-red-200 dark:ring-red-400/30",
    bar: "bg-red-600 dark:bg-red-500",
  },
} as const;
type Tone = keyof typeof tones;

const rolloutTones: Record<string, [string, Tone]> = {
  running: ["Running", "active"],
  paused: ["Paused", "waiting"],
  "awaiting-approval": ["Awaiting approval", "waiting"],
  halted: ["Halted", "bad"],
  completed: ["Completed", "good"],
  aborted: ["Aborted", "neutral"],
};

const batchTones: Record<string, [string, Tone]> = {
  pending: ["Pending", "neutral"],
  running: ["Running", "active"],
  settling: ["Settling", "active"],
  done: ["Done", "good"],
  cancelled: ["Cancelled", "neutral"],
};

const nodeTones: Record<string, [string, Tone]> = {
  pending: ["Pending", "neutral"],
  staging: ["Staging", "active"],
  staged: ["Staged", "waiting"],
  rebooting: ["Rebooting", "active"],
  "rolling-back": ["Rolling back", "active"],
  succeeded: ["Succeeded", "good"],
  failed: ["Failed", "bad"],
  "rolled-back": ["Rolled back", "bad"],
  skipped: ["Skipped", "waiting"],
  cancelled: ["Cancelled", "neutral"],
};

const badgeBase =
  "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset";

function Badge({ table, status }: { table: Record<string, [string, Tone]>; status: string }) {
  const [label, tone] = table[status] ?? [status, "neutral"];
  return <span className={`${badgeBase} ${tones[tone].badge}`}>{label}</span>;
}

export function RolloutStatusBadge({ status }: { status: string }) {
  return <Badge table={rolloutTones} status={status} />;
}

export function BatchStatusBadge({ status }: { status: string }) {
  return <Badge table={batchTones} status={status} />;
}

/** In a rollback rollout, a node rolled back is the work done: it shows as good there. */
const rollbackNodeTones: Record<string, [string, Tone]> = { ...nodeTones, "rolled-back": ["Rolled back", "good"] };

export function RolloutNodeStatusBadge({ status, rollback = false }: { status: string; rollback?: boolean }) {
  return <Badge table={rollback ? rollbackNodeTones : nodeTones} status={status} />;
}

/** A rollout node's state in words, as its badge says it. */
export function rolloutNodeStatusLabel(status: string, rollback = false): string {
  return (rollback ? rollbackNodeTones : nodeTones)[status]?.[0] ?? status;
}

export type { NodeCounts };

const segments: { key: keyof Omit<NodeCounts, "total">; tone: Tone }[] = [
  { key: "succeeded", tone: "good" },
  { key: "failed", tone: "bad" },
  { key: "rolledBack", tone: "bad" },
  { key: "skipped", tone: "waiting" },
  { key: "rebooting", tone: "active" },
  { key: "cancelled", tone: "neutral" },
];

/** "2 succeeded, 1 failed, 0 skipped of 3", with a small bar beside it that only repeats the text. */
export function NodeProgress({
  counts,
  wide = false,
  rollback = false,
}: {
  counts: NodeCounts;
  wide?: boolean;
  /** A rollback rollout: its rolled-back nodes are its successes. */
  rollback?: boolean;
}) {
  const { total } = counts;
  const extra = [
    counts.rebooting > 0 ? `${counts.rebooting} rebooting` : null,
    counts.rolledBack > 0 ? `${counts.rolledBack} rolled back` : null,
    counts.staging > 0 ? `${counts.staging} staging or staged` : null,
    counts.cancelled > 0 ? `${counts.cancelled} cancelled` : null,
  ].filter(Boolean);
  return (
    <div className={`flex flex-wrap items-center gap-2 ${wide ? "w-full" : ""}`}>
      <div
        aria-hidden="true"
        className={`flex h-2 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800 ${wide ? "min-w-40 flex-1" : "w-24"}`}
      >
        {total > 0 &&
          segments.map(({ key, tone }) =>
            counts[key] > 0 ? (
              <div
                key={key}
                className={tones[rollback && key === "rolledBack" ? "good" : tone].bar}
                style={{ width: `${(counts[key] / total) * 100}%` }}
              />
            ) : null,
          )}
      </div>
      <span className="text-xs whitespace-nowrap text-zinc-700 tabular-nums dark:text-zinc-300">
        {counts.succeeded} succeeded, {counts.failed} failed, {counts.skipped} skipped of {total}
        {extra.length > 0 && ` (${extra.join(", ")})`}
      </span>
    </div>
  );
}
