import type { RouterOutputs } from "@softfleet/api";
import { LocalTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";

type Entry = RouterOutputs["audit"]["list"]["entries"][number];

const muted = "text-xs text-zinc-500 dark:text-zinc-400";

function compactJson(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = JSON.stringify(value);
  return text === "{}" ? "" : text;
}

export function AuditTable({ entries }: { entries: Entry[] }) {
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Audit log entries, newest first</caption>
        <thead>
          <tr>
            <th className={thClass}>Time</th>
            <th className={thClass}>Actor</th>
            <th className={thClass}>Action</th>
            <th className={thClass}>Target</th>
            <th className={thClass}>Source IP</th>
            <th className={thClass}>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const details = compactJson(entry.details);
            return (
              <tr key={entry.id}>
                <td className={tdClass}>
                  <LocalTime date={entry.at} />
                </td>
                <td className={tdClass}>
                  {entry.actorName} <span className={muted}>{entry.actorType}</span>
                  {entry.via && <span className={`${muted} block text-xs`}>via {entry.via}</span>}
                </td>
                <td className={`${tdClass} font-mono text-xs whitespace-nowrap`}>{entry.action}</td>
                <td className={tdClass}>
                  {entry.targetType || entry.targetName ? (
                    <>
                      <span className={muted}>{entry.targetType}</span>{" "}
                      <span title={entry.targetId ?? undefined}>{entry.targetName ?? entry.targetId}</span>
                    </>
                  ) : (
                    <span className={muted}>—</span>
                  )}
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{entry.sourceIp ?? "—"}</td>
                <td className={tdClass}>
                  {details ? (
                    <code className="block max-w-md font-mono text-xs break-all text-zinc-700 dark:text-zinc-300">
                      {details}
                    </code>
                  ) : (
                    <span className={muted}>—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
