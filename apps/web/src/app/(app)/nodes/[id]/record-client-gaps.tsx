import type { RouterOutputs } from "@softfleet/api";
import { formatMs } from "~/components/format";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Gaps = RouterOutputs["nodes"]["rebootRecords"][number]["clientGaps"];
const muted = "text-zinc-600 dark:text-zinc-400";

/**
 * What each payload's clients saw through the reboot, from the prober on the
 * node (probing every 10 ms): the longest time without an answer and the
 * probes that failed. Nothing when the node has no prober.
 */
export function RecordClientGaps({ gaps, label }: { gaps: Gaps; label: string }) {
  if (!gaps || gaps.length === 0) return null;
  const caption = `What clients saw in the ${label}`;
  return (
    <div className="overflow-x-auto">
      <h4 className="font-medium">What clients saw</h4>
      <p className={`text-sm ${muted}`}>
        Probed from the node every 10 ms through the reboot, by a prober that itself runs straight through it.
      </p>
      <table className={tableClass} aria-label={caption}>
        <thead>
          <tr>
            <th className={thClass}>Payload</th>
            <th className={thClass}>Probed</th>
            <th className={`${thClass} text-right`}>Longest gap</th>
            <th className={`${thClass} text-right`}>Failed probes</th>
          </tr>
        </thead>
        <tbody>
          {gaps.map((gap) => (
            <tr key={gap.name}>
              <td className={tdClass}>{gap.name}</td>
              <td className={`${tdClass} font-mono text-xs`}>{gap.target}</td>
              <td className={`${tdClass} text-right tabular-nums`}>
                {gap.open ? "at least " : ""}
                {formatMs(gap.longestGapMs, 0)}
              </td>
              <td
                className={`${tdClass} text-right tabular-nums ${gap.failedProbes > 0 ? "text-amber-800 dark:text-amber-300" : ""}`}
              >
                {gap.failedProbes}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
