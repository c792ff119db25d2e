import type { LiveStatus } from "~/trpc/live";

const styles: Record<LiveStatus, { label: string; dot: string; title: string }> = {
  live: {
    label: "Live",
    dot: "bg-green-600 dark:bg-green-400",
    title: "Changes in the fleet appear here as they happen.",
  },
  connecting: {
    label: "Connecting…",
    dot: "bg-zinc-400 dark:bg-zinc-500",
    title: "Connecting to the live change stream.",
  },
  reconnecting: {
    label: "Reconnecting…",
    dot: "bg-amber-500 dark:bg-amber-400",
    title: "The live change stream was interrupted; what is shown may be out of date until it reconnects.",
  },
  paused: {
    label: "Paused",
    dot: "bg-zinc-400 dark:bg-zinc-500",
    title: "This tab is in the background; it catches up as soon as it is shown.",
  },
  failed: {
    label: "Not live",
    dot: "bg-red-600 dark:bg-red-400",
    title: "Live changes are unavailable; reload the page to see the latest state.",
  },
};

/** A small, unobtrusive "Live" / "Reconnecting…" marker for the live change stream. */
export function LiveIndicator({ status }: { status: LiveStatus }) {
  const style = styles[status];
  return (
    <p
      role="status"
      title={style.title}
      className="inline-flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400"
    >
      <span
        aria-hidden="true"
        className={`size-2 rounded-full ${style.dot} ${status === "live" ? "animate-pulse" : ""}`}
      />
      {style.label}
    </p>
  );
}
