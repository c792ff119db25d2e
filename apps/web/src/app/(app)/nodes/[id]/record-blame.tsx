import type { RouterOutputs } from "@softfleet/api";
import { formatMs } from "~/components/format";
import { tableClass, tdClass, thClass } from "~/components/ui";

type UnitBlame = NonNullable<RouterOutputs["nodes"]["rebootRecords"][number]["blame"]>;

const muted = "text-zinc-600 dark:text-zinc-400";

function BlameTable({
  title,
  caption,
  rows,
  total,
}: {
  title: string;
  caption: string;
  rows: UnitBlame["stop"];
  total: number;
}) {
  return (
    <div>
      <h4 className="font-medium">
        {title} <span className={`text-sm font-normal ${muted}`}>(of {total})</span>
      </h4>
      {rows.length === 0 ? (
        <p className={muted}>None in this cycle.</p>
      ) : (
        <table className={tableClass}>
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              <th className={thClass}>Unit</th>
              <th className={`${thClass} text-right`}>Took</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name}>
                <td className={`${tdClass} font-mono text-xs`}>{row.name}</td>
                <td className={`${tdClass} text-right tabular-nums`}>{formatMs(row.ms, 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * Why a reboot was slow: the units slowest to stop in its shutdown (ActiveExit
 * to InactiveEnter) and to start after it (InactiveExit to ActiveEnter), from
 * each unit's own timestamps.
 */
export function RecordBlame({ blame, label }: { blame: UnitBlame | null; label: string }) {
  if (!blame) return <p className={muted}>Unit blame: not reported by this node&apos;s agent.</p>;
  return (
    <section aria-label={`Unit blame of the ${label}`} className="grid gap-4 sm:grid-cols-2">
      <BlameTable
        title="Slowest to stop"
        caption={`Units slowest to stop in the ${label}`}
        rows={blame.stop}
        total={blame.stopped}
      />
      <BlameTable
        title="Slowest to start"
        caption={`Units slowest to start after the ${label}`}
        rows={blame.start}
        total={blame.started}
      />
    </section>
  );
}
