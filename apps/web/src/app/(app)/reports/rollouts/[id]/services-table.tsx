import type { RouterOutputs } from "@softfleet/api";
import { Ms } from "~/components/reports/figures";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Service = RouterOutputs["reports"]["rollout"]["services"][number];
const muted = "text-zinc-600 dark:text-zinc-400";

function Hosts({ hosts, count }: { hosts: string[] | null | undefined; count: number }) {
  if (count === 0) return <span className={muted}>0</span>;
  if (!hosts?.length) return <span className="tabular-nums">{count}</span>;
  return (
    <details>
      <summary className="cursor-pointer tabular-nums">{count}</summary>
      <p className="text-xs">
        {hosts.join(", ")}
        {hosts.length < count && ` and ${count - hosts.length} more`}
      </p>
    </details>
  );
}

/** Watched units: on how many (and which) nodes each survived, restarted or was gone, and the restarts' gaps. */
export function ServicesTable({ services, withHosts = false }: { services: Service[]; withHosts?: boolean }) {
  if (services.length === 0)
    return <p className={muted}>The reboot records list no watched unit, so nothing is known about services.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label="Services">
        <thead>
          <tr>
            <th className={thClass}>Unit</th>
            <th className={`${thClass} text-right`}>Survived</th>
            <th className={`${thClass} text-right`}>Restarted</th>
            <th className={`${thClass} text-right`}>Absent after</th>
            <th className={`${thClass} text-right`}>Unknown</th>
            <th className={`${thClass} text-right`}>Gap p50</th>
            <th className={`${thClass} text-right`}>Gap p95</th>
            <th className={`${thClass} text-right`}>Gap max</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => {
            const why = s.restarted === 0 ? "—" : "unknown";
            return (
              <tr key={s.name}>
                <td className={`${tdClass} font-mono text-xs`}>{s.name}</td>
                <td className={`${tdClass} text-right`}>
                  {withHosts ? <Hosts hosts={s.survivedOn} count={s.survived} /> : s.survived}
                </td>
                <td className={`${tdClass} text-right`}>
                  {withHosts ? <Hosts hosts={s.restartedOn} count={s.restarted} /> : s.restarted}
                </td>
                <td className={`${tdClass} text-right`}>
                  {withHosts ? <Hosts hosts={s.absentOn} count={s.absent} /> : s.absent}
                </td>
                <td className={`${tdClass} text-right tabular-nums`}>{s.unknown}</td>
                <td className={`${tdClass} text-right`}>
                  <Ms value={s.gapP50Ms} why={why} />
                </td>
                <td className={`${tdClass} text-right`}>
                  <Ms value={s.gapP95Ms} why={why} />
                </td>
                <td className={`${tdClass} text-right`}>
                  <Ms value={s.gapMaxMs} why={why} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className={`mt-1 text-xs ${muted}`}>
        Gap: from the unit going inactive to it being active again, on the node&apos;s clock.
      </p>
    </div>
  );
}
