import type { RouterOutputs } from "@softfleet/api";
import { Ms } from "~/components/reports/figures";
import { tableClass, tdClass, thClass } from "~/components/ui";

type SlowUnits = RouterOutputs["reports"]["rollout"]["slowUnits"];
const muted = "text-zinc-600 dark:text-zinc-400";

function SlowTable({ label, rows }: { label: string; rows: SlowUnits["stop"] }) {
  return (
    <div className="overflow-x-auto">
      <h3 className="font-medium">{label}</h3>
      {rows.length === 0 ? (
        <p className={muted}>No reboot of this rollout reported its unit timings.</p>
      ) : (
        <table className={tableClass} aria-label={label}>
          <thead>
            <tr>
              <th className={thClass}>Unit</th>
              <th className={`${thClass} text-right`} title="In how many reboots it was among the ten slowest">
                Reboots
              </th>
              <th className={`${thClass} text-right`}>p50</th>
              <th className={`${thClass} text-right`}>Max</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name}>
                <td className={`${tdClass} font-mono text-xs`}>{row.name}</td>
                <td className={`${tdClass} text-right tabular-nums`}>{row.reboots}</td>
                <td className={`${tdClass} text-right`}>
                  <Ms value={row.p50Ms} />
                </td>
                <td className={`${tdClass} text-right`}>
                  <Ms value={row.maxMs} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * Why this rollout's reboots were slow: the units slowest to stop in the
 * shutdowns and to start in the boots, from each record's unit blame (every
 * unit's own timestamps; a record keeps its ten slowest of each).
 */
export function SlowUnitsTable({ slowUnits }: { slowUnits: SlowUnits }) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <SlowTable label="Slowest units to stop across this rollout" rows={slowUnits.stop} />
      <SlowTable label="Slowest units to start across this rollout" rows={slowUnits.start} />
    </div>
  );
}
