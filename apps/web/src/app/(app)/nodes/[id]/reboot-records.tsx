"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { Downtime } from "~/components/downtime";
import { idTail } from "~/components/format";
import { PhaseBar } from "~/components/phase-bar";
import { LocalTime } from "~/components/time";
import { Button, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { RecordContainers } from "./node-containers";
import { RecordNetwork } from "./node-network";
import { PinnedRootWarning } from "./pinned-root";
import { RecordBlame } from "./record-blame";
import { RecordClientGaps } from "./record-client-gaps";
import { RecordUnits } from "./record-units";

type RebootRecord = RouterOutputs["nodes"]["rebootRecords"][number];

const SHOWN_AT_FIRST = 5;
const muted = "text-zinc-600 dark:text-zinc-400";
const pill = "inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset";

const triggerText: Record<string, string> = {
  manual: "manual: a person asked for it here",
  rollout: "rollout",
  rollback: "rollback: back to the image it ran before",
  external: "external: nobody here asked (started on the host, or by its FleetLock client)",
};

function BeforeAfter({ before, after }: { before: ReactNode; after: ReactNode }) {
  return (
    <>
      {before ?? <span className={muted}>unknown</span>} <span aria-hidden="true">→</span>
      <span className="sr-only">to</span> {after ?? <span className={muted}>unknown</span>}
    </>
  );
}

/**
 * A reboot that was not the kind asked for, in words (null when it was, or
 * when nothing was seen to have been asked). An escalation says so on its own.
 */
export function typeMismatch(record: Pick<RebootRecord, "kind" | "requested" | "escalated">): string | null {
  if (!record.requested || record.escalated || record.requested === record.kind) return null;
  if (record.kind === "full-reboot" && record.requested !== "soft-reboot") return null;
  if (record.requested === "reboot" && record.kind === "soft-reboot") {
    return "A reboot was asked for, and a soft-reboot happened: logind switches to one when /run/nextroot holds a new root (systemctl reboot does so unless SYSTEMCTL_SKIP_AUTO_SOFT_REBOOT=1).";
  }
  return `A ${record.requested} was asked for, and a ${record.kind} happened.`;
}

function RecordCard({ record }: { record: RebootRecord }) {
  const headingId = `record-${record.id}`;
  const soft = record.kind === "soft-reboot";
  return (
    <article
      aria-labelledby={headingId}
      className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id={headingId} className="flex flex-wrap items-center gap-2 font-semibold">
          {soft ? "Soft-reboot" : "Full reboot"}
          {record.escalated && (
            <span
              className={`${pill} bg-red-50 text-red-800 ring-red-600/30 dark:bg-red-950 dark:text-red-200 dark:ring-red-400/30`}
            >
              escalated
            </span>
          )}
          <span className={`text-sm font-normal ${muted}`}>
            <LocalTime date={record.recordedAt} />
          </span>
        </h3>
        <p>
          <span className={muted}>Downtime </span>
          <span className="text-base font-semibold">
            <Downtime record={record} />
          </span>
        </p>
      </header>
      {record.escalated && (
        <p className="text-red-700 dark:text-red-400">
          Escalated: a {record.requested ?? "soft-reboot"} was requested, but the host booted afresh (a full reboot).
        </p>
      )}
      {typeMismatch(record) && (
        <p className="text-amber-800 dark:text-amber-300" role="note">
          {typeMismatch(record)}
        </p>
      )}
      {record.beforeLost && (
        <p className={muted}>
          Before lost: the agent&apos;s state from before this reboot was gone afterwards (a full reboot empties /run),
          so the phases before it are unknown.
        </p>
      )}
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className={muted}>Trigger</dt>
        <dd>
          {triggerText[record.trigger] ?? record.trigger}
          {record.commandId && (
            <span className={muted} title={record.commandId}>
              {" "}
              (command {idTail(record.commandId)})
            </span>
          )}
        </dd>
        <dt className={muted}>Requested</dt>
        <dd className="font-mono text-xs">
          {record.requested ?? <span className={`font-sans ${muted}`}>not seen</span>}
        </dd>
        <dt className={muted}>Announced by logind</dt>
        <dd className="font-mono text-xs">
          {(record.announced ?? record.requested) || (
            <span className={`font-sans ${muted}`}>no shutdown signal seen</span>
          )}
        </dd>
        <dt className={muted}>Image version</dt>
        <dd className="font-mono text-xs">
          <BeforeAfter before={record.imageVersionBefore} after={record.imageVersionAfter} />
        </dd>
        <dt className={muted}>SoftRebootsCount</dt>
        <dd className="tabular-nums">
          <BeforeAfter before={record.softRebootsCountBefore} after={record.softRebootsCountAfter} />
        </dd>
      </dl>
      <PhaseBar record={record} />
      <PinnedRootWarning value={record.pinnedRoot} when="after" />
      <RecordUnits
        units={record.units}
        caption={`Watched services in the ${record.kind} recorded ${record.recordedAt.toLocaleString()}`}
      />
      <RecordContainers
        containers={record.containers}
        label={`${record.kind} recorded ${record.recordedAt.toLocaleString()}`}
      />
      <RecordNetwork links={record.network} label={`${record.kind} recorded ${record.recordedAt.toLocaleString()}`} />
      <RecordClientGaps
        gaps={record.clientGaps}
        label={`${record.kind} recorded ${record.recordedAt.toLocaleString()}`}
      />
      <RecordBlame blame={record.blame} label={`${record.kind} recorded ${record.recordedAt.toLocaleString()}`} />
    </article>
  );
}

/** The node's reboots, newest first, each with its phases and what became of its services. */
export function RebootRecords({ nodeId }: { nodeId: string }) {
  const trpc = useTRPC();
  const records = useQuery(trpc.nodes.rebootRecords.queryOptions({ nodeId }));
  const [showAll, setShowAll] = useState(false);
  if (records.isPending) return <p role="status">Loading reboot records…</p>;
  if (records.error) return <FormError>{errorMessage(records.error)}</FormError>;
  if (records.data.length === 0) {
    return <p className={muted}>No reboots recorded yet. Each soft-reboot or full reboot of this node appears here.</p>;
  }
  const shown = showAll ? records.data : records.data.slice(0, SHOWN_AT_FIRST);
  const hidden = records.data.length - shown.length;
  return (
    <div className="space-y-4">
      {shown.map((record) => (
        <RecordCard key={record.id} record={record} />
      ))}
      {hidden > 0 && (
        <Button kind="secondary" onClick={() => setShowAll(true)}>
          Show {hidden} older {hidden === 1 ? "record" : "records"}
        </Button>
      )}
    </div>
  );
}
