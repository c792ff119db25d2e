import type { RouterOutputs } from "@softfleet/api";
import { formatMs, formatUsec } from "~/components/format";
import { tableClass, tdClass, thClass } from "~/components/ui";

/** What the bar needs of a reboot record (a node's records, or a rollout node's with phasesOf). */
export type PhasedRecord = Pick<RouterOutputs["nodes"]["rebootRecords"][number], "kind" | "timestamps" | "phases">;
type Stamp = keyof PhasedRecord["timestamps"];
type Phase = Exclude<keyof PhasedRecord["phases"], "totalMs">;

const phases: { key: Phase; label: string; from: Stamp; to: Stamp; color: string }[] = [
  {
    key: "signalToShutdownMs",
    label: "Signal → shutdown",
    from: "signalUsec",
    to: "shutdownStartUsec",
    color: "bg-violet-700",
  },
  { key: "shutdownMs", label: "Shutdown", from: "shutdownStartUsec", to: "userspaceUsec", color: "bg-sky-700" },
  { key: "bootMs", label: "Boot", from: "userspaceUsec", to: "finishUsec", color: "bg-emerald-700" },
  { key: "reconnectMs", label: "Reconnect", from: "finishUsec", to: "agentConnectedUsec", color: "bg-amber-800" },
];

const stampLabels: Record<Stamp, string> = {
  signalUsec: "Shutdown signal received",
  shutdownStartUsec: "Shutdown started (ShutdownStartTimestampMonotonic)",
  userspaceUsec: "New userspace (UserspaceTimestampMonotonic)",
  finishUsec: "Boot finished (FinishTimestampMonotonic)",
  agentConnectedUsec: "Agent reconnected",
};

/** One segment per phase, as wide as its share of the measured time, with exact values below. */
export function PhaseBar({ record }: { record: PhasedRecord }) {
  const known = phases.flatMap((phase) => {
    const ms = record.phases[phase.key];
    return ms === null ? [] : [{ ...phase, ms }];
  });
  const sum = known.reduce((total, phase) => total + phase.ms, 0);
  const stampOf = (key: Stamp) => formatUsec(record.timestamps[key]);
  return (
    <div className="space-y-2">
      {known.length > 0 && sum > 0 ? (
        <div aria-hidden="true" className="flex h-7 w-full overflow-hidden rounded-md bg-zinc-100 dark:bg-zinc-800">
          {known.map((phase) => {
            const share = (phase.ms / sum) * 100;
            return (
              <div
                key={phase.key}
                title={`${phase.label}: ${formatMs(phase.ms)} (${stampOf(phase.from)} → ${stampOf(phase.to)})`}
                style={{ width: `${share}%` }}
                className={`${phase.color} flex min-w-0.5 items-center justify-center overflow-hidden border-r border-white/60 px-1 text-xs font-medium whitespace-nowrap text-white last:border-r-0 dark:border-zinc-950/60`}
              >
                {share >= 22 ? `${phase.label} ${formatMs(phase.ms, 0)}` : share >= 5 ? formatMs(phase.ms, 0) : ""}
              </div>
            );
          })}
        </div>
      ) : (
        <p className="text-zinc-600 dark:text-zinc-400">No phase of this reboot could be measured.</p>
      )}
      <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs" aria-label="Phases">
        {phases.map((phase) => {
          const ms = record.phases[phase.key];
          return (
            <li key={phase.key} className="inline-flex items-center gap-1.5">
              <span aria-hidden="true" className={`size-2.5 rounded-sm ${phase.color}`} />
              {phase.label}:{" "}
              {ms === null ? (
                <span className="text-zinc-600 dark:text-zinc-400">unknown</span>
              ) : (
                <span className="font-medium tabular-nums">{formatMs(ms)}</span>
              )}
            </li>
          );
        })}
      </ul>
      <details className="text-xs">
        <summary className="cursor-pointer text-sky-700 dark:text-sky-400">Exact timestamps (µs)</summary>
        <table className={`${tableClass} mt-1 max-w-2xl`}>
          <caption className="sr-only">Timestamps on the node&apos;s CLOCK_MONOTONIC, in microseconds</caption>
          <thead>
            <tr>
              <th className={thClass}>Point</th>
              <th className={`${thClass} text-right`}>Node CLOCK_MONOTONIC</th>
            </tr>
          </thead>
          <tbody>
            {(Object.keys(stampLabels) as Stamp[]).map((key) => (
              <tr key={key}>
                <td className={tdClass}>{stampLabels[key]}</td>
                <td className={`${tdClass} text-right font-mono tabular-nums`}>{stampOf(key)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {record.kind !== "soft-reboot" && (
          <p className="mt-1 text-zinc-600 dark:text-zinc-400">
            After a full reboot the clock starts again, so points from before it do not compare with those after.
          </p>
        )}
      </details>
    </div>
  );
}
