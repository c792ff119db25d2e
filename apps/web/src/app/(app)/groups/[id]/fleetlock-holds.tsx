import type { RouterOutputs } from "@softfleet/api";
import Link from "next/link";
import { LocalTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Hold = RouterOutputs["fleetLock"]["group"]["holders"][number];

const RELEASED_BY: Record<string, string> = {
  client: "the client (steady-state)",
  disabled: "FleetLock turned off",
};

/** FleetLock slots: the current holders, or the recent released ones. */
export function FleetLockHolds({ holds, released, label }: { holds: Hold[]; released: boolean; label: string }) {
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label={label}>
        <thead>
          <tr>
            <th className={thClass}>Client id</th>
            <th className={thClass}>Node</th>
            <th className={thClass}>Locked</th>
            {released && <th className={thClass}>Released</th>}
            {released && <th className={thClass}>Released by</th>}
            <th className={thClass}>Source</th>
          </tr>
        </thead>
        <tbody>
          {holds.map((hold) => (
            <tr key={hold.id}>
              <td className={`${tdClass} font-mono text-xs`}>{hold.clientId}</td>
              <td className={tdClass}>
                {hold.nodeId ? (
                  <Link href={`/nodes/${hold.nodeId}`} className="text-sky-700 hover:underline dark:text-sky-400">
                    {hold.hostname ?? hold.nodeId}
                  </Link>
                ) : (
                  <span className="text-zinc-500 dark:text-zinc-400">not a softfleet node</span>
                )}
              </td>
              <td className={tdClass}>
                <LocalTime date={hold.lockedAt} />
              </td>
              {released && <td className={tdClass}>{hold.releasedAt && <LocalTime date={hold.releasedAt} />}</td>}
              {released && <td className={tdClass}>{RELEASED_BY[hold.releasedBy ?? ""] ?? hold.releasedBy}</td>}
              <td className={`${tdClass} font-mono text-xs`}>{hold.sourceIp ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
