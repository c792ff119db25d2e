"use client";

import { useQuery } from "@tanstack/react-query";
import { idTail } from "~/components/format";
import { LocalTime } from "~/components/time";
import { FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

const muted = "text-zinc-600 dark:text-zinc-400";

/**
 * Each boot and each soft-reboot of the node, newest first. `journalctl
 * --list-boots` cannot tell soft-reboots apart (the boot id stays), so each
 * row has the command that shows that cycle's log alone.
 */
export function NodeCycles({ nodeId }: { nodeId: string }) {
  const trpc = useTRPC();
  const cycles = useQuery(trpc.nodes.cycles.queryOptions({ nodeId }));
  if (cycles.isPending) return <p role="status">Loading boots and soft-reboots…</p>;
  if (cycles.error) return <FormError>{errorMessage(cycles.error)}</FormError>;
  if (cycles.data.length === 0) {
    return <p className={muted}>No reboot recorded yet: the node has been in one cycle since the agent met it.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <p className={`mb-2 ${muted}`}>
        <code>journalctl --list-boots</code> does not see soft-reboots: a soft-reboot keeps the boot id. Each cycle here
        has the command that shows its own log, run on the node.
      </p>
      <table className={tableClass}>
        <caption className="sr-only">Boots and soft-reboots of this node, newest first</caption>
        <thead>
          <tr>
            <th className={thClass}>Boot ID</th>
            <th className={`${thClass} text-right`}>Soft-reboot</th>
            <th className={thClass}>Image</th>
            <th className={thClass}>Started</th>
            <th className={thClass}>Ended</th>
            <th className={thClass}>Its log</th>
          </tr>
        </thead>
        <tbody>
          {cycles.data.map((cycle) => (
            <tr key={`${cycle.bootId}-${cycle.softReboots}-${cycle.startedAt?.getTime()}-${cycle.endedAt?.getTime()}`}>
              <td className={`${tdClass} font-mono text-xs`} title={cycle.bootId ?? undefined}>
                {cycle.bootId ? idTail(cycle.bootId) : <span className={muted}>unknown</span>}
              </td>
              <td className={`${tdClass} text-right tabular-nums`}>
                {cycle.softReboots === null ? <span className={muted}>?</span> : `#${cycle.softReboots}`}
              </td>
              <td className={`${tdClass} font-mono text-xs`}>{cycle.imageVersion ?? "—"}</td>
              <td className={tdClass}>
                {cycle.startedAt ? <LocalTime date={cycle.startedAt} /> : <span className={muted}>before records</span>}
              </td>
              <td className={tdClass}>
                {cycle.endedAt ? (
                  <>
                    <LocalTime date={cycle.endedAt} /> <span className={muted}>({cycle.endedBy})</span>
                  </>
                ) : cycle.endedBy ? (
                  <span className={muted}>by a {cycle.endedBy}</span>
                ) : (
                  <span>running</span>
                )}
              </td>
              <td className={`${tdClass} font-mono text-xs`}>
                {cycle.journalctl ? <code className="select-all">{cycle.journalctl}</code> : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
