import type { RouterOutputs } from "@softfleet/api";
import { LocalTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Transition = RouterOutputs["rollouts"]["get"]["transitions"][number];

const machineNames: Record<string, string> = { rollout: "Rollout", batch: "Stage", node: "Node" };

/** Every transition of the rollout, its stages and nodes, newest first. */
export function RolloutEvents({ transitions }: { transitions: Transition[] }) {
  if (transitions.length === 0) return <p className="text-zinc-600 dark:text-zinc-400">Nothing has happened yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Transitions, newest first</caption>
        <thead>
          <tr>
            <th className={thClass}>Time</th>
            <th className={thClass}>Subject</th>
            <th className={thClass}>Change</th>
            <th className={thClass}>Reason</th>
            <th className={thClass}>By</th>
          </tr>
        </thead>
        <tbody>
          {transitions.map((t) => (
            <tr key={t.id}>
              <td className={`${tdClass} text-xs`}>
                <LocalTime date={t.at} />
              </td>
              <td className={tdClass}>
                <span className="text-xs text-zinc-600 dark:text-zinc-400">
                  {machineNames[t.machine] ?? t.machine}{" "}
                </span>
                {t.subjectName}
              </td>
              <td className={`${tdClass} whitespace-nowrap`}>
                {t.from} <span aria-hidden="true">→</span>
                <span className="sr-only"> to </span> <span className="font-medium">{t.to}</span>
              </td>
              <td className={tdClass}>{t.reason}</td>
              <td className={tdClass}>
                {t.actorName}
                {t.actorType !== "user" && (
                  <span className="text-xs text-zinc-600 dark:text-zinc-400"> ({t.actorType})</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
