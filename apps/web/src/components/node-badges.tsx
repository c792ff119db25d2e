import type { NodeStatus } from "@softfleet/db";

const statusStyles: Record<NodeStatus, { label: string; className: string; dot: string }> = {
  online: {
    label: "Online",
    className:
      "bg-green-50 text-green-800 ring-green-600/30 dark:bg-green-950 dark:text-green-200 dark:ring-green-400/30",
    dot: "bg-green-600 dark:bg-green-400",
  },
  offline: {
    label: "Offline",
    className: "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30",
    dot: "bg-zinc-500 dark:bg-zinc-400",
  },
  rebooting: {
    label: "Rebooting",
    className: "bg-sky-50 text-sky-800 ring-sky-600/30 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-400/30",
    dot: "bg-sky-600 dark:bg-sky-400",
  },
  unknown: {
    label: "Unknown",
    className:
      "bg-amber-50 text-amber-900 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-400/30",
    dot: "bg-amber-500 dark:bg-amber-400",
  },
};

const badgeBase = "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset";

/** A node's connection state, as text plus colour (never colour alone). */
export function StatusBadge({ status }: { status: NodeStatus }) {
  const style = statusStyles[status] ?? statusStyles.unknown;
  return (
    <span className={`${badgeBase} ${style.className}`}>
      <span aria-hidden="true" className={`size-1.5 rounded-full ${style.dot}`} />
      {style.label}
    </span>
  );
}

/** Marks a node that the fleet simulator runs rather than a real host. */
export function SimulatedBadge() {
  return (
    <span
      className={`${badgeBase} bg-violet-50 text-violet-800 ring-violet-600/30 dark:bg-violet-950 dark:text-violet-200 dark:ring-violet-400/30`}
    >
      simulated
    </span>
  );
}
