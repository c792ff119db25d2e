import type { RouterOutputs } from "@softfleet/api";
import Link from "next/link";
import { ConfirmButton } from "~/components/confirm-dialog";
import { LocalTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Hold = RouterOutputs["fleetLock"]["group"]["holders"][number];

const RELEASED_BY: Record<string, string> = {
  client: "the client (steady-state)",
  disabled: "FleetLock turned off",
  operator: "an operator",
};

/**
 * FleetLock slots: the current holders, or the recent released ones. With
 * `onRelease` (an operator, current holders), each holder can be released.
 */
export function FleetLockHolds({
  holds,
  released,
  label,
  onRelease,
}: {
  holds: Hold[];
  released: boolean;
  label: string;
  onRelease?: (hold: Hold) => Promise<unknown>;
}) {
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
            {onRelease && (
              <th className={thClass}>
                <span className="sr-only">Actions</span>
              </th>
            )}
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
              {onRelease && (
                <td className={tdClass}>
                  <ConfirmButton
                    label="Release"
                    title={`Release the slot of ${hold.hostname ?? hold.clientId}?`}
                    onConfirm={() => onRelease(hold)}
                  >
                    For a client that will never send steady-state (its node died mid-update, the client is gone). The
                    slot frees at once for the group&apos;s next client and its rollouts; if the client is still
                    rebooting its node, one more node may go down than max unavailable allows.
                  </ConfirmButton>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
