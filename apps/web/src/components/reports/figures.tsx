import { formatMs } from "~/components/format";
import { impossiblePhase, type PhaseKey, TYPE_LABELS } from "./labels";

const muted = "text-zinc-500 dark:text-zinc-400";

/** A duration in ms with its exact value, or why it is unknown (never a zero standing in for nothing). */
export function Ms({ value, why }: { value: number | null | undefined; why?: string | null }) {
  if (value === null || value === undefined) {
    return <span className={muted}>{why ?? "unknown"}</span>;
  }
  return <span className="tabular-nums">{formatMs(value)}</span>;
}

/** One phase of one reboot: its ms, "unknown (full reboot)", or unknown. */
export function PhaseCell({
  rebootType,
  phase,
  value,
}: {
  rebootType: string | null;
  phase: PhaseKey;
  value: number | null;
}) {
  return <Ms value={value} why={impossiblePhase(rebootType, phase) ?? (rebootType ? "unknown" : "—")} />;
}

export function TypeLabel({ type }: { type: string | null }) {
  if (!type) return <span className={muted}>no record</span>;
  return <>{TYPE_LABELS[type] ?? type}</>;
}

export function Flag({ children, tone = "amber" }: { children: React.ReactNode; tone?: "amber" | "zinc" }) {
  const tones = {
    amber: "bg-amber-50 text-amber-900 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-400/30",
    zinc: "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30",
  };
  return (
    <span
      className={`ml-1 inline-flex rounded-full px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${tones[tone]}`}
    >
      {children}
    </span>
  );
}
