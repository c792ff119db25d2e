"use client";

import { useQuery } from "@tanstack/react-query";
import { formatUsec, idTail } from "~/components/format";
import { LocalTime } from "~/components/time";
import { FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { type EventSummary, summarizeEvent } from "./node-json";

const muted = "text-zinc-600 dark:text-zinc-400";
const LIMIT = 50;

const typeLabels: Record<EventSummary["type"], string> = {
  "shutdown-signal": "Shutdown signal",
  "reboot-record": "Reboot record",
  "command-result": "Command result",
  other: "Event",
};

function Details({ event }: { event: EventSummary }) {
  switch (event.type) {
    case "shutdown-signal":
      return (
        <>
          <span className="font-mono text-xs">{event.shutdownType ?? "unknown type"}</span>{" "}
          {event.start === false ? (
            <span className="font-medium text-amber-800 dark:text-amber-300">cancelled or failed</span>
          ) : (
            <span className="font-medium">start</span>
          )}
          {event.softRebootsCount !== null && (
            <span className={muted}> · SoftRebootsCount {event.softRebootsCount}</span>
          )}
          {event.wallclock && (
            <span className={muted}> · node clock {new Date(event.wallclock).toLocaleTimeString()}</span>
          )}
        </>
      );
    case "reboot-record":
      return (
        <>
          {event.kind ?? "reboot"}
          {event.escalated && <span className="font-medium text-red-700 dark:text-red-400"> · escalated</span>}
          <span className={muted}> · see Reboot records</span>
        </>
      );
    case "command-result":
      return (
        <>
          <span className={event.outcome === "refused" ? "font-medium text-red-700 dark:text-red-400" : "font-medium"}>
            {event.outcome ?? "unknown"}
          </span>
          {event.reason && <span className={muted}>: {event.reason}</span>}
          {event.commandId && (
            <span className={muted} title={event.commandId}>
              {" "}
              · command {idTail(event.commandId)}
            </span>
          )}
        </>
      );
    default:
      return <span className="font-mono text-xs">{event.name}</span>;
  }
}

/** The node's events as they arrive, newest first. */
export function EventTimeline({ nodeId }: { nodeId: string }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.nodes.events.queryOptions({ nodeId, limit: LIMIT }));
  if (events.isPending) return <p role="status">Loading events…</p>;
  if (events.error) return <FormError>{errorMessage(events.error)}</FormError>;
  if (events.data.length === 0) {
    return <p className={muted}>No events yet. Shutdown signals, reboot records and command results appear here.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Events of this node, newest first</caption>
        <thead>
          <tr>
            <th className={thClass}>Received</th>
            <th className={thClass}>Event</th>
            <th className={thClass}>Details</th>
            <th className={`${thClass} text-right`}>
              <abbr title="The node's CLOCK_MONOTONIC when it happened" className="no-underline">
                Node monotonic
              </abbr>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.data.map((row) => {
            const event = summarizeEvent(row.type, row.payload);
            const monotonic = "monotonicUsec" in event ? event.monotonicUsec : null;
            return (
              <tr key={row.id}>
                <td className={tdClass}>
                  <LocalTime date={row.receivedAt} />
                </td>
                <td className={`${tdClass} whitespace-nowrap font-medium`}>{typeLabels[event.type]}</td>
                <td className={tdClass}>
                  <Details event={event} />
                </td>
                <td className={`${tdClass} text-right font-mono text-xs whitespace-nowrap tabular-nums`}>
                  {formatUsec(monotonic)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {events.data.length === LIMIT && <p className={`mt-2 ${muted}`}>The latest {LIMIT} events.</p>}
    </div>
  );
}
