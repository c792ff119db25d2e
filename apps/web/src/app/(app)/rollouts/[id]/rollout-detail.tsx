"use client";

import type { RouterOutputs } from "@softfleet/api";
import { ROLLOUT_NODE_STATUSES, ROLLOUT_PAGE_SIZES, type RolloutViewQuery } from "@softfleet/api/rollout-view";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LiveIndicator } from "~/components/live-indicator";
import { Pager } from "~/components/pager";
import { KeptRunning, PinnedNodes } from "~/components/reports/payloads";
import { NodeProgress, RolloutStatusBadge, rolloutNodeStatusLabel } from "~/components/rollout-badges";
import { LocalTime } from "~/components/time";
import { EmptyState, Field, FormError, Select } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { Elapsed } from "../rollouts-table";
import { PlanSummary } from "./plan-summary";
import { RolloutActions } from "./rollout-actions";
import { RolloutEvents } from "./rollout-events";
import { RolloutStages } from "./rollout-stages";
import { useRolloutLive } from "./use-rollout-live";
import { useRolloutQuery } from "./use-rollout-query";

type Rollout = RouterOutputs["rollouts"]["get"];

const muted = "text-zinc-600 dark:text-zinc-400";
const linkClass = "text-sky-700 hover:underline dark:text-sky-400";

export function RolloutDetail({ id, canOperate }: { id: string; canOperate: boolean }) {
  const trpc = useTRPC();
  const { query, navigate } = useRolloutQuery(id);
  const rollout = useQuery({ ...trpc.rollouts.get.queryOptions(query), placeholderData: keepPreviousData });
  const live = useRolloutLive(query);

  const back = (
    <Link href="/rollouts" className={`mb-2 inline-block ${linkClass}`}>
      ← All rollouts
    </Link>
  );
  if (rollout.isPending) return <p role="status">Loading rollout…</p>;
  if (rollout.error) {
    return (
      <>
        {back}
        {rollout.error.data?.code === "NOT_FOUND" ? (
          <EmptyState title="Rollout not found">There is no rollout with this id.</EmptyState>
        ) : (
          <FormError>{errorMessage(rollout.error)}</FormError>
        )}
      </>
    );
  }
  const data = rollout.data;
  return (
    <>
      {back}
      <RolloutHeader rollout={data} canOperate={canOperate} live={<LiveIndicator status={live} />} />
      <section aria-labelledby="stages-heading" className="mb-8">
        <h2 id="stages-heading" className="mb-2 text-base font-semibold">
          Stages
        </h2>
        <NodeFilter query={query} navigate={navigate} rollback={data.rollbackOfId !== null} />
        <RolloutStages rollout={data} canOperate={canOperate} filtered={query.status !== undefined} />
        {(data.matching > query.pageSize || query.page > 1) && (
          <Pager
            label="Node pages"
            id="rollout-page-size"
            noun="Nodes"
            page={query.page}
            pageSize={query.pageSize}
            sizes={ROLLOUT_PAGE_SIZES}
            matching={data.matching}
            onPage={(page) => navigate({ ...query, page })}
            onPageSize={(pageSize) => navigate({ ...query, page: 1, pageSize })}
          />
        )}
      </section>
      <section aria-labelledby="events-heading" className="mb-8">
        <h2 id="events-heading" className="mb-2 text-base font-semibold">
          Events
        </h2>
        <RolloutEvents transitions={data.transitions} />
      </section>
    </>
  );
}

function RolloutHeader({
  rollout,
  canOperate,
  live,
}: {
  rollout: Rollout;
  canOperate: boolean;
  live: React.ReactNode;
}) {
  return (
    <div className="mb-6 space-y-3">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="space-y-1">
          <h1 className="flex flex-wrap items-center gap-2 text-xl font-semibold tracking-tight">
            {rollout.rollbackOfId ? "Rollback" : "Rollout"} of {rollout.groupName}
            <RolloutStatusBadge status={rollout.status} />
          </h1>
          <RollbackLinks rollout={rollout} />
          <p role="status" className="text-zinc-700 dark:text-zinc-300">
            {statusText(rollout)}
          </p>
          <p>
            <Link href={`/reports/rollouts/${encodeURIComponent(rollout.id)}`} className={linkClass}>
              Downtime report
            </Link>
          </p>
        </div>
        <div className="flex flex-col items-end gap-2">
          {live}
          {canOperate && (
            <RolloutActions
              id={rollout.id}
              status={rollout.status}
              groupName={rollout.groupName}
              rollback={rollout.rollback}
            />
          )}
        </div>
      </div>
      <NodeProgress counts={rollout.counts} rollback={rollout.rollbackOfId !== null} wide />
      <dl className="grid max-w-3xl grid-cols-[max-content_1fr] gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className={muted}>Group</dt>
        <dd>
          {rollout.groupId ? (
            <Link href={`/groups/${rollout.groupId}`} className={linkClass}>
              {rollout.groupName}
            </Link>
          ) : (
            <>
              {rollout.groupName} <span className={muted}>(deleted since)</span>
            </>
          )}
        </dd>
        <dt className={muted}>Started by</dt>
        <dd>{rollout.createdByName}</dd>
        <dt className={muted}>Payloads kept running</dt>
        <dd data-testid="rollout-payloads-kept">
          <KeptRunning stats={rollout.payloads} />
        </dd>
        <dt className={muted}>Pinned old root</dt>
        <dd data-testid="rollout-pinned">
          <PinnedNodes stats={rollout.payloads} />
          {rollout.payloads.pinnedNodes > 0 && <span className={muted}> nodes (see the report)</span>}
        </dd>
        <dt className={muted}>Started</dt>
        <dd>
          <LocalTime date={rollout.createdAt} />
        </dd>
        <dt className={muted}>{rollout.finishedAt ? "Finished" : "Duration"}</dt>
        <dd>
          {rollout.finishedAt ? (
            <>
              <LocalTime date={rollout.finishedAt} />{" "}
              <span className={muted}>
                (took <Elapsed from={rollout.createdAt} to={rollout.finishedAt} />)
              </span>
            </>
          ) : (
            <Elapsed from={rollout.createdAt} to={null} />
          )}
        </dd>
        {rollout.approvedAt && (
          <>
            <dt className={muted}>Approved</dt>
            <dd>
              <LocalTime date={rollout.approvedAt} />
            </dd>
          </>
        )}
      </dl>
      <PlanSummary plan={rollout.plan} />
    </div>
  );
}

/** Which of the rollout's nodes the stages list: those in one state, or all. */
function NodeFilter({
  query,
  navigate,
  rollback,
}: {
  query: RolloutViewQuery;
  navigate: (query: RolloutViewQuery) => void;
  rollback: boolean;
}) {
  return (
    <div className="mb-3 flex flex-wrap items-end gap-3">
      <Field label="Show nodes" htmlFor="rollout-node-status">
        <Select
          id="rollout-node-status"
          value={query.status ?? ""}
          onChange={(e) =>
            navigate({
              ...query,
              page: 1,
              status: (e.target.value || undefined) as RolloutViewQuery["status"],
            })
          }
          className="w-48"
        >
          <option value="">All states</option>
          {ROLLOUT_NODE_STATUSES.map((status) => (
            <option key={status} value={status}>
              {rolloutNodeStatusLabel(status, rollback)}
            </option>
          ))}
        </Select>
      </Field>
    </div>
  );
}

/** Which rollout this one rolls back, or which rollouts rolled it back. */
function RollbackLinks({ rollout }: { rollout: Rollout }) {
  if (rollout.rollbackOfId) {
    return (
      <p data-testid="rollback-of">
        Rolls back{" "}
        <Link href={`/rollouts/${encodeURIComponent(rollout.rollbackOfId)}`} className={linkClass}>
          {rollout.rollbackOf ? `the rollout of ${rollout.rollbackOf.groupName}` : "a deleted rollout"}
        </Link>
        : each node returns to the image it ran before it.
      </p>
    );
  }
  if (rollout.rollbacks.length === 0) return null;
  return (
    <p data-testid="rolled-back-by">
      Rolled back by{" "}
      {rollout.rollbacks.map((r, i) => (
        <span key={r.id}>
          {i > 0 && ", "}
          <Link href={`/rollouts/${encodeURIComponent(r.id)}`} className={linkClass}>
            a rollback ({r.status})
          </Link>
        </span>
      ))}
      .
    </p>
  );
}

/** The status in words, with the reason the engine or a user gave for it. */
function statusText(rollout: Rollout): string {
  const last = rollout.transitions.find((t) => t.machine === "rollout" && t.to === rollout.status);
  const by = last?.actorType === "user" ? ` (${last.actorName})` : "";
  const reason = rollout.statusReason && `${rollout.statusReason}${by}`;
  switch (rollout.status) {
    case "running":
      return "Running: nodes reboot stage by stage.";
    case "paused":
      return `Paused${reason ? `: ${reason}` : ""}. No new reboots start until it is resumed.`;
    case "awaiting-approval":
      return `Awaiting approval${reason ? `: ${reason}` : ""}.`;
    case "halted":
      return `Halted: ${reason ?? "no reason recorded"}. Resume to go on anyway, or abort.`;
    case "completed":
      return `Completed: ${reason ?? "every stage is done"}.`;
    case "aborted":
      return `Aborted: ${reason ?? "no reason recorded"}.`;
    default:
      return reason ?? rollout.status;
  }
}
