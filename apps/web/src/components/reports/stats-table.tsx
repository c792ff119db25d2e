import type { RouterOutputs } from "@softfleet/api";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { Ms } from "./figures";
import { impossiblePhase, PHASE_KEYS, PHASE_LABELS } from "./labels";

export type PhaseStats = RouterOutputs["reports"]["rollout"]["stats"][number]["phases"];

/** p50 / p95 / max of every phase of one set of reboots of one type, with how many had it measured. */
export function StatsTable({
  caption,
  stats,
  rebootType,
  reboots,
}: {
  caption: string;
  stats: PhaseStats;
  rebootType: string;
  reboots: number;
}) {
  return (
    <table className={tableClass}>
      <caption className="mb-1 text-left text-sm font-medium">{caption}</caption>
      <thead>
        <tr>
          <th className={thClass}>Phase</th>
          <th className={`${thClass} text-right`}>Measured</th>
          <th className={`${thClass} text-right`}>p50</th>
          <th className={`${thClass} text-right`}>p95</th>
          <th className={`${thClass} text-right`}>Max</th>
        </tr>
      </thead>
      <tbody>
        {PHASE_KEYS.map((phase) => {
          const stat = stats[phase];
          const why =
            impossiblePhase(rebootType, phase) ?? (stat.n === 0 ? "unknown (no reboot reported it)" : "unknown");
          return (
            <tr key={phase} data-phase={phase}>
              <th scope="row" className={`${tdClass} font-normal`}>
                {PHASE_LABELS[phase]}
              </th>
              <td className={`${tdClass} text-right tabular-nums`}>
                {stat.n} of {reboots}
              </td>
              <td className={`${tdClass} text-right`}>
                <Ms value={stat.p50} why={why} />
              </td>
              <td className={`${tdClass} text-right`}>
                <Ms value={stat.p95} why={stat.p50 === null ? "" : why} />
              </td>
              <td className={`${tdClass} text-right`}>
                <Ms value={stat.max} why={stat.p50 === null ? "" : why} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
