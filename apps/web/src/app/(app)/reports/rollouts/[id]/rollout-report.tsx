"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SimulatedBadge } from "~/components/node-badges";
import { ExportLinks } from "~/components/reports/export-links";
import { Flag, Ms, PhaseCell, TypeLabel } from "~/components/reports/figures";
import { BAR_PHASES, PHASE_SHORT } from "~/components/reports/labels";
import { NodePhaseBars, TotalsHistogram } from "~/components/reports/lazy-charts";
import { RolloutPayloads } from "~/components/reports/payloads";
import { StatsTable } from "~/components/reports/stats-table";
import { RolloutNodeStatusBadge, RolloutStatusBadge } from "~/components/rollout-badges";
import { LocalTime } from "~/components/time";
import { EmptyState, FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { HistogramTable, Section } from "../../report-parts";
import { ServicesTable } from "./services-table";
import { SlowUnitsTable } from "./slow-units-table";

type Report = RouterOutputs["reports"]["rollout"];
const linkClass = "text-sky-700 hover:underline dark:text-sky-400";
const muted = "text-zinc-600 dark:text-zinc-400";

export function RolloutReportView({ id }: { id: string }) {
  const trpc = useTRPC();
  const report = useQuery(trpc.reports.rollout.queryOptions({ id }));
  if (report.isPending) return <p role="status">Loading the rollout report…</p>;
  if (report.error) {
    return report.error.data?.code === "NOT_FOUND" ? (
      <EmptyState title="Rollout not found">There is no rollout with this id.</EmptyState>
    ) : (
      <FormError>{errorMessage(report.error)}</FormError>
    );
  }
  const data = report.data;
  const rebooted = data.nodes.filter((n) => n.rebootType !== null);
  return (
    <>
      <Link href="/reports" className={`mb-2 inline-block print:hidden ${linkClass}`}>
        ← Reports
      </Link>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">
            Downtime of the {data.rollout.rollbackOfId ? "rollback" : "rollout"} of {data.rollout.groupName}
          </h1>
          <p className={muted}>
            <RolloutStatusBadge status={data.rollout.status} /> Started by {data.rollout.createdByName}{" "}
            <LocalTime date={data.rollout.createdAt} />
            {data.rollout.finishedAt && (
              <>
                , finished <LocalTime date={data.rollout.finishedAt} />
              </>
            )}
            .{" "}
            <Link href={`/rollouts/${encodeURIComponent(data.rollout.id)}`} className={`${linkClass} print:hidden`}>
              Open the rollout
            </Link>
          </p>
        </div>
        <ExportLinks href={`/reports/rollouts/${encodeURIComponent(data.rollout.id)}/export`} />
      </div>

      <Section id="outcome" title="Nodes">
        <OutcomeTable
          statuses={data.statuses}
          total={data.nodes.length}
          rollback={data.rollout.rollbackOfId !== null}
        />
      </Section>

      <Section id="phases" title="Phases">
        {data.stats.length === 0 ? (
          <p className={muted}>No node of this rollout has a reboot record yet, so there is no phase to measure.</p>
        ) : (
          <PhaseStatsByBatch report={data} />
        )}
      </Section>

      <Section id="distribution" title="Distribution of total downtime">
        {data.histogram.length === 0 ? (
          <p className={muted}>No reboot of this rollout has a known total.</p>
        ) : (
          <div className="grid gap-4 lg:grid-cols-[2fr_1fr]">
            <TotalsHistogram buckets={data.histogram} />
            <HistogramTable buckets={data.histogram} />
          </div>
        )}
      </Section>

      <Section id="nodes" title="Phases per node, slowest first">
        {rebooted.length > 0 && <NodePhaseBars nodes={rebooted} />}
        <NodesTable nodes={data.nodes} />
      </Section>

      <Section id="services" title="Services">
        <ServicesTable services={data.services} withHosts />
      </Section>

      <Section id="payloads" title="Payloads">
        <RolloutPayloads payloads={data.payloads} />
      </Section>

      <Section id="slow-units" title="Why it was slow: units">
        <SlowUnitsTable slowUnits={data.slowUnits} />
      </Section>

      <Section id="images" title="Image versions">
        {data.imageVersions.length === 0 ? (
          <p className={muted}>No reboot record, so no image version is known.</p>
        ) : (
          <table className={`${tableClass} max-w-xl`}>
            <thead>
              <tr>
                <th className={thClass}>Before</th>
                <th className={thClass}>After</th>
                <th className={`${thClass} text-right`}>Nodes</th>
              </tr>
            </thead>
            <tbody>
              {data.imageVersions.map((v) => (
                <tr key={`${v.imageVersionBefore}→${v.imageVersionAfter}`}>
                  <td className={tdClass}>{v.imageVersionBefore ?? <span className={muted}>unknown</span>}</td>
                  <td className={tdClass}>{v.imageVersionAfter ?? <span className={muted}>unknown</span>}</td>
                  <td className={`${tdClass} text-right tabular-nums`}>{v.nodes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </>
  );
}

/** Nodes whose rollout has not ended them yet. */
const unfinished = (count: (status: string) => number) =>
  ["pending", "staging", "staged", "rebooting", "rolling-back"].reduce((sum, status) => sum + count(status), 0);

function OutcomeTable({
  statuses,
  total,
  rollback,
}: {
  statuses: Report["statuses"];
  total: number;
  rollback: boolean;
}) {
  const count = (status: string) => statuses.filter((s) => s.status === status).reduce((sum, s) => sum + s.nodes, 0);
  return (
    <>
      <p className="mb-2" data-testid="outcome-summary">
        {total} nodes: {count("succeeded")} done, {count("failed")} failed,
        {count("rolled-back") > 0 && ` ${count("rolled-back")} rolled back,`} {count("skipped")} skipped
        {count("cancelled") > 0 && `, ${count("cancelled")} cancelled`}
        {unfinished(count) > 0 && `, ${unfinished(count)} not finished`}.
      </p>
      <table className={`${tableClass} max-w-2xl`}>
        <thead>
          <tr>
            <th className={thClass}>Status</th>
            <th className={thClass}>Reason</th>
            <th className={`${thClass} text-right`}>Nodes</th>
          </tr>
        </thead>
        <tbody>
          {statuses.map((s) => (
            <tr key={`${s.status}:${s.reason}`}>
              <td className={tdClass}>
                <RolloutNodeStatusBadge status={s.status} rollback={rollback} />
              </td>
              <td className={tdClass}>{s.reason ?? <span className={muted}>—</span>}</td>
              <td className={`${tdClass} text-right tabular-nums`}>{s.nodes}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function PhaseStatsByBatch({ report }: { report: Report }) {
  const batchName = (index: number) => {
    const batch = report.rollout.batches.find((b) => b.index === index);
    return batch?.kind === "canary" ? "Canary" : `Batch ${index}`;
  };
  const whole = report.stats.filter((s) => s.batchIndex === null);
  const batches = [...new Set(report.stats.flatMap((s) => (s.batchIndex === null ? [] : [s.batchIndex])))];
  return (
    <div className="space-y-6">
      <p className={`${muted} text-sm`}>
        p50 and p95 interpolate between reboots (Postgres percentile_cont). Soft-reboots and full reboots are counted
        apart: a full reboot restarts the node&apos;s clock, so its shutdown phases are unknown and its total only
        covers the new boot.
      </p>
      <div className="grid gap-6 xl:grid-cols-2" data-testid="stats-whole">
        {whole.map((s) => (
          <StatsTable
            key={s.rebootType}
            caption={`Whole rollout · ${s.reboots} ${s.rebootType === "soft-reboot" ? "soft-reboots" : s.rebootType === "kexec" ? "kexec reboots" : "full reboots"}`}
            stats={s.phases}
            rebootType={s.rebootType}
            reboots={s.reboots}
          />
        ))}
      </div>
      {batches.length > 1 && (
        <details>
          <summary className="cursor-pointer font-medium">Per batch</summary>
          <div className="mt-3 grid gap-6 xl:grid-cols-2">
            {report.stats
              .filter((s) => s.batchIndex !== null)
              .map((s) => (
                <StatsTable
                  key={`${s.batchIndex}:${s.rebootType}`}
                  caption={`${batchName(s.batchIndex!)} · ${s.reboots} × ${s.rebootType}`}
                  stats={s.phases}
                  rebootType={s.rebootType}
                  reboots={s.reboots}
                />
              ))}
          </div>
        </details>
      )}
    </div>
  );
}

function NodesTable({ nodes }: { nodes: Report["nodes"] }) {
  return (
    <div className="overflow-x-auto">
      <table className={tableClass} aria-label="Nodes by total downtime">
        <thead>
          <tr>
            <th className={thClass}>Node</th>
            <th className={thClass}>Batch</th>
            <th className={thClass}>Status</th>
            <th className={thClass}>Type</th>
            {BAR_PHASES.map((phase) => (
              <th key={phase} className={`${thClass} text-right`}>
                {PHASE_SHORT[phase]}
              </th>
            ))}
            <th className={`${thClass} text-right`}>Total</th>
            <th className={thClass}>Image</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.nodeId} data-node={node.hostname}>
              <td className={tdClass}>
                <Link href={`/reports/nodes/${encodeURIComponent(node.nodeId)}`} className={linkClass}>
                  {node.hostname}
                </Link>
                {node.simulated && <SimulatedBadge />}
              </td>
              <td className={`${tdClass} tabular-nums`}>{node.batchIndex}</td>
              <td className={tdClass}>
                <RolloutNodeStatusBadge status={node.status} />
                {node.reason && <div className={`text-xs ${muted}`}>{node.reason}</div>}
              </td>
              <td className={tdClass}>
                <TypeLabel type={node.rebootType} />
                {node.escalated && <Flag>escalated</Flag>}
              </td>
              {BAR_PHASES.map((phase) => (
                <td key={phase} className={`${tdClass} text-right`}>
                  <PhaseCell rebootType={node.rebootType} phase={phase} value={node[phase]} />
                </td>
              ))}
              <td className={`${tdClass} text-right`} data-testid="node-total">
                {node.totalMs !== null && node.rebootType !== "soft-reboot" && (
                  <span title="at least: the shutdown before a full reboot is not measured">≥ </span>
                )}
                <Ms value={node.totalMs} why={node.missingTotal} />
              </td>
              <td className={`${tdClass} whitespace-nowrap`}>
                {node.rebootType ? `${node.imageVersionBefore ?? "?"} → ${node.imageVersionAfter ?? "?"}` : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
