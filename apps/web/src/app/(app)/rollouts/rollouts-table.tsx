"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { formatElapsed, idTail } from "~/components/format";
import { LiveIndicator } from "~/components/live-indicator";
import { NodeProgress, RolloutStatusBadge } from "~/components/rollout-badges";
import { LocalTime, useNow } from "~/components/time";
import { EmptyState, FormError, PageHeader, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useLiveStream } from "~/trpc/live";

type Rollout = RouterOutputs["rollouts"]["list"][number];

export const linkClass = "text-sky-700 hover:underline dark:text-sky-400";
export const primaryLinkClass =
  "inline-flex items-center rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800";

export function RolloutsTable({ canStart }: { canStart: boolean }) {
  const trpc = useTRPC();
  const rollouts = useQuery(trpc.rollouts.list.queryOptions());
  const queryClient = useQueryClient();
  // The server sends the list again when a rollout changes (every engine step announces its rollout).
  const live = useLiveStream(
    trpc.live.rollouts.subscriptionOptions(undefined, {
      onData: (list) => queryClient.setQueryData(trpc.rollouts.list.queryKey(), list),
    }),
  );
  return (
    <>
      <PageHeader
        title="Rollouts"
        description="Staged soft-reboots of node groups, a few hosts at a time."
        actions={
          <div className="flex items-center gap-4">
            <LiveIndicator status={live} />
            {canStart && (
              <Link href="/rollouts/new" className={primaryLinkClass}>
                New rollout
              </Link>
            )}
          </div>
        }
      />
      {rollouts.isPending && <p role="status">Loading rollouts…</p>}
      {rollouts.error && <FormError>{errorMessage(rollouts.error)}</FormError>}
      {rollouts.data?.length === 0 && (
        <EmptyState title="No rollouts yet">
          <p>
            A rollout soft-reboots the nodes of a group in stages: a canary first, then batches, each node checked by a
            health gate before the next ones go.
          </p>
          <p className="mt-2">
            {canStart ? "Start the first one with “New rollout”." : "An operator or admin can start one."}
          </p>
        </EmptyState>
      )}
      {rollouts.data && rollouts.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Rollouts, newest first</caption>
            <thead>
              <tr>
                <th className={thClass}>Rollout</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>Progress</th>
                <th className={thClass}>Started by</th>
                <th className={thClass}>Started</th>
                <th className={`${thClass} text-right`}>Duration</th>
              </tr>
            </thead>
            <tbody>
              {rollouts.data.map((rollout) => (
                <RolloutRow key={rollout.id} rollout={rollout} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function RolloutRow({ rollout }: { rollout: Rollout }) {
  return (
    <tr>
      <td className={tdClass}>
        <Link href={`/rollouts/${rollout.id}`} className={`font-medium ${linkClass}`}>
          {rollout.groupName}
          <span className="sr-only"> {rollout.rollbackOfId ? "rollback" : "rollout"}</span>
        </Link>{" "}
        {rollout.rollbackOfId && (
          <span className="mr-1 rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
            rollback
          </span>
        )}
        <span className="font-mono text-xs text-zinc-600 dark:text-zinc-400" title={rollout.id}>
          {idTail(rollout.id)}
        </span>
      </td>
      <td className={tdClass}>
        <RolloutStatusBadge status={rollout.status} />
      </td>
      <td className={tdClass}>
        <NodeProgress counts={rollout.progress} rollback={rollout.rollbackOfId !== null} />
      </td>
      <td className={tdClass}>{rollout.createdByName}</td>
      <td className={tdClass}>
        <LocalTime date={rollout.createdAt} />
      </td>
      <td className={`${tdClass} text-right tabular-nums`}>
        <Elapsed from={rollout.createdAt} to={rollout.finishedAt} />
      </td>
    </tr>
  );
}

/** How long it took, or has been running (ticking). */
export function Elapsed({ from, to }: { from: Date; to: Date | null }) {
  const now = useNow(1000);
  const ms = (to ?? new Date(now)).getTime() - from.getTime();
  return (
    <span suppressHydrationWarning>
      {formatElapsed(ms)}
      {!to && <span className="text-zinc-600 dark:text-zinc-400"> so far</span>}
    </span>
  );
}
