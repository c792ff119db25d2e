import type { RouterOutputs } from "@softfleet/api";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { containersOf, portablesOf } from "./node-json";

const muted = "text-zinc-600 dark:text-zinc-400";
const since = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000).toLocaleString() : "—");

/** The node's Podman containers, live (from Podman's API on the node). */
export function NodeContainers({ value }: { value: unknown }) {
  const list = containersOf(value);
  if (list === null) return null;
  if (list.length === 0) return <p className={muted}>Podman runs no containers on this node.</p>;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label="Containers">
        <thead>
          <tr>
            <th className={thClass}>Container</th>
            <th className={thClass}>Image</th>
            <th className={thClass}>Unit</th>
            <th className={thClass}>State</th>
            <th className={`${thClass} text-right`}>PID</th>
            <th className={thClass}>Started</th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.id}>
              <td className={`${tdClass} font-mono text-xs`} title={c.id}>
                {c.name}
              </td>
              <td className={`${tdClass} font-mono text-xs`}>{c.image}</td>
              <td className={`${tdClass} font-mono text-xs`}>{c.unit ?? "—"}</td>
              <td className={tdClass}>{c.state}</td>
              <td className={`${tdClass} text-right tabular-nums`}>{c.pid || "—"}</td>
              <td className={tdClass}>{since(c.startedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type RecordContainers = RouterOutputs["nodes"]["rebootRecords"][number]["containers"];

const outcomeText: Record<string, string> = {
  "kept-running": "kept running",
  restarted: "restarted",
  gone: "gone",
  new: "new",
};

/** What became of each container in one reboot: kept running (same process, same start) or not. */
export function RecordContainers({ containers, label }: { containers: RecordContainers; label: string }) {
  if (!containers || containers.length === 0) return null;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label={`Containers in the ${label}`}>
        <thead>
          <tr>
            <th className={thClass}>Container</th>
            <th className={thClass}>Image</th>
            <th className={thClass}>Outcome</th>
            <th className={thClass}>PID before → after</th>
          </tr>
        </thead>
        <tbody>
          {containers.map((c) => {
            const any = (c.after ?? c.before)!;
            const bad = c.outcome !== "kept-running" && c.outcome !== "new";
            return (
              <tr key={any.id}>
                <td className={`${tdClass} font-mono text-xs`}>{any.name}</td>
                <td className={`${tdClass} font-mono text-xs`}>{any.image}</td>
                <td className={`${tdClass} ${bad ? "font-medium text-red-700 dark:text-red-400" : ""}`}>
                  {outcomeText[c.outcome] ?? c.outcome}
                </td>
                <td className={`${tdClass} tabular-nums`}>
                  {c.before?.pid || "—"} → {c.after?.pid || "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The portable service images systemd-portabled knows on the node, live. */
export function NodePortables({ value }: { value: unknown }) {
  const list = portablesOf(value);
  if (list === null || list.length === 0) return null;
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label="Portable services">
        <thead>
          <tr>
            <th className={thClass}>Portable image</th>
            <th className={thClass}>Type</th>
            <th className={thClass}>State</th>
          </tr>
        </thead>
        <tbody>
          {list.map((p) => (
            <tr key={p.name}>
              <td className={`${tdClass} font-mono text-xs`}>{p.name}</td>
              <td className={tdClass}>{p.type}</td>
              <td className={tdClass}>{p.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
