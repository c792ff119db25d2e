import { shortId } from "~/components/format";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { watchedUnits } from "./node-json";

const stateColors: Record<string, string> = {
  active: "text-green-800 dark:text-green-300",
  failed: "text-red-700 dark:text-red-400",
  activating: "text-amber-800 dark:text-amber-300",
  deactivating: "text-amber-800 dark:text-amber-300",
};

/** The units the agent watches across reboots, as last reported. */
export function NodeServices({ units }: { units: unknown }) {
  const list = watchedUnits(units);
  if (list.length === 0) {
    return (
      <p className="max-w-prose text-zinc-600 dark:text-zinc-400">
        The agent watches no services on this node. List them under <code className="font-mono">watchUnits</code> in the
        agent&apos;s configuration to see whether they survive each soft-reboot.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Watched services</caption>
        <thead>
          <tr>
            <th className={thClass}>Unit</th>
            <th className={thClass}>State</th>
            <th className={thClass}>Invocation ID</th>
          </tr>
        </thead>
        <tbody>
          {list.map((unit) => (
            <tr key={unit.name}>
              <td className={`${tdClass} font-mono text-xs`}>
                {unit.name}
                {unit.survives && (
                  <span
                    className="ml-2 font-sans text-green-800 dark:text-green-300"
                    title="SurviveFinalKillSignal=yes: configured to keep running through a soft-reboot"
                  >
                    survives soft-reboots
                  </span>
                )}
                {unit.survives && (
                  <span className="ml-2 font-sans text-xs text-zinc-600 dark:text-zinc-400">
                    {unit.ownRoot ? (
                      <>from its own root {unit.ownRoot}</>
                    ) : (
                      <span title="A survivor run from the host's root keeps it in memory once the host moves to a new image">
                        from the host&apos;s root
                      </span>
                    )}
                  </span>
                )}
                {unit.fdStore && (
                  <span
                    className="ml-2 font-sans text-zinc-600 dark:text-zinc-400"
                    title={`FileDescriptorStoreMax=${unit.fdStore.max}, FileDescriptorStorePreserve=${unit.fdStore.preserve}`}
                  >
                    fd store {unit.fdStore.count} of {unit.fdStore.max}
                    {unit.fdStore.preserve === "yes" ? ", kept across soft-reboots" : ", not kept across soft-reboots"}
                  </span>
                )}
              </td>
              <td className={tdClass}>
                <span className={stateColors[unit.activeState ?? ""] ?? ""}>{unit.activeState ?? "unknown"}</span>
                {unit.subState && <span className="text-zinc-600 dark:text-zinc-400"> ({unit.subState})</span>}
              </td>
              <td className={`${tdClass} font-mono text-xs`}>
                {unit.invocationId ? <span title={unit.invocationId}>{shortId(unit.invocationId, 12)}</span> : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
