"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery } from "@tanstack/react-query";
import { idTail } from "~/components/format";
import { LocalTime, RelativeTime } from "~/components/time";
import { FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

type CommandStatus = RouterOutputs["nodes"]["commands"][number]["status"];

const pill = "inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset";
const neutral = "bg-zinc-100 text-zinc-700 ring-zinc-500/30 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-400/30";
export const commandStatusStyles: Record<CommandStatus, { label: string; className: string; hint: string }> = {
  pending: { label: "pending", className: neutral, hint: "Waiting to be sent to the agent." },
  sent: {
    label: "sent",
    className: "bg-sky-50 text-sky-800 ring-sky-600/30 dark:bg-sky-950 dark:text-sky-200 dark:ring-sky-400/30",
    hint: "Delivered; waiting for the agent's answer.",
  },
  accepted: {
    label: "accepted",
    className:
      "bg-green-50 text-green-800 ring-green-600/30 dark:bg-green-950 dark:text-green-200 dark:ring-green-400/30",
    hint: "The agent asked logind to soft-reboot.",
  },
  refused: {
    label: "refused",
    className: "bg-red-50 text-red-800 ring-red-600/30 dark:bg-red-950 dark:text-red-200 dark:ring-red-400/30",
    hint: "The agent refused; see the reason.",
  },
  expired: { label: "expired", className: neutral, hint: "Not delivered in time (the node was offline)." },
};

export function CommandStatusBadge({ status }: { status: CommandStatus }) {
  const style = commandStatusStyles[status];
  return (
    <span className={`${pill} ${style.className}`} title={style.hint}>
      {style.label}
    </span>
  );
}

/** Commands sent to this node's agent, newest first. */
export function CommandsTable({ nodeId }: { nodeId: string }) {
  const trpc = useTRPC();
  const commands = useQuery(trpc.nodes.commands.queryOptions({ nodeId }));
  if (commands.isPending) return <p role="status">Loading commands…</p>;
  if (commands.error) return <FormError>{errorMessage(commands.error)}</FormError>;
  if (commands.data.length === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">No commands have been sent to this node.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Commands sent to this node, newest first</caption>
        <thead>
          <tr>
            <th className={thClass}>Command</th>
            <th className={thClass}>Requested</th>
            <th className={thClass}>Status</th>
            <th className={thClass}>Answered</th>
            <th className={thClass}>Reason</th>
          </tr>
        </thead>
        <tbody>
          {commands.data.map((command) => (
            <tr key={command.id}>
              <td className={tdClass}>
                <span className="font-mono text-xs" title={command.id}>
                  {command.type}
                </span>
                {command.requireNextroot && (
                  <span className="block text-xs text-zinc-600 dark:text-zinc-400">only if a new image is staged</span>
                )}
                <span className="block font-mono text-xs text-zinc-600 dark:text-zinc-400">{idTail(command.id)}</span>
              </td>
              <td className={tdClass}>
                <LocalTime date={command.requestedAt} />
              </td>
              <td className={tdClass}>
                <CommandStatusBadge status={command.status} />
              </td>
              <td className={tdClass}>
                <RelativeTime date={command.answeredAt} fallback="—" />
              </td>
              <td className={`${tdClass} max-w-md`}>{command.reason ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
