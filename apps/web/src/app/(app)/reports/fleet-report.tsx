"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SimulatedBadge } from "~/components/node-badges";
import { ExportLinks } from "~/components/reports/export-links";
import { Ms } from "~/components/reports/figures";
import { TRIGGER_LABELS, TYPE_LABELS } from "~/components/reports/labels";
import { TotalsHistogram, TrendChart } from "~/components/reports/lazy-charts";
import { ClientGapTable, PayloadsByImage } from "~/components/reports/payloads";
import { StatsTable } from "~/components/reports/stats-table";
import { LocalTime } from "~/components/time";
import { FormError, PageHeader, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { rangeOf, rangeQuery } from "./range";
import { RangeForm } from "./range-form";
import { RecentRollouts } from "./recent-rollouts";
import { HistogramTable, Section } from "./report-parts";
import { ServicesTable } from "./rollouts/[id]/services-table";

type Report = RouterOutputs["reports"]["fleet"];
type Days = { from: string; to: string; group: string };
const linkClass = "text-sky-700 hover:underline dark:text-sky-400";
const muted = "text-zinc-600 dark:text-zinc-400";
const typeName = (type: string) => TYPE_LABELS[type] ?? type;
const rebootCount = (n: number) => `${n} ${n === 1 ? "reboot" : "reboots"}`;
/** Soft-reboot first, then full reboot and kexec (the API orders them by name); stable within a type. */
const TYPE_ORDER = ["soft-reboot", "full-reboot", "kexec"];
const typeRank = (type: string) => (TYPE_ORDER.includes(type) ? TYPE_ORDER.indexOf(type) : TYPE_ORDER.length);
const inTypeOrder = <T extends { rebootType: string }>(rows: T[]) =>
  [...rows].sort((a, b) => typeRank(a.rebootType) - typeRank(b.rebootType));

export function FleetReportView({ days }: { days: Days }) {
  const trpc = useTRPC();
  const report = useQuery(trpc.reports.fleet.queryOptions(rangeOf(days)));
  return (
    <>
      <PageHeader
        title="Reports"
        description={`Downtime of every reboot from ${days.from} to ${days.to} (UTC), per reboot type, image version and group.`}
        actions={<ExportLinks href={`/reports/export?${rangeQuery(days)}`} />}
      />
      {/* Keyed by the range: a link or Back shows its dates in the form, not the last ones typed. */}
      <RangeForm key={`${days.from}/${days.to}/${days.group}`} days={days} />
      {report.isPending ? (
        <p role="status">Computing the report…</p>
      ) : report.error ? (
        <FormError>{errorMessage(report.error)}</FormError>
      ) : (
        <FleetSections report={report.data} />
      )}
      <Section id="rollouts" title="Rollout reports">
        <RecentRollouts />
      </Section>
    </>
  );
}

function FleetSections({ report }: { report: Report }) {
  if (report.byType.length === 0) {
    return (
      <p className={`mb-10 ${muted}`}>
        No reboot was recorded in this range{report.range.groupId ? " on this group's nodes" : ""}: there is nothing to
        measure. Pick a wider range, or another group.
      </p>
    );
  }
  const typeTrend = report.trend.filter((p) => p.dimension === "type");
  const imageTrend = report.trend.filter((p) => p.dimension === "image");
  return (
    <>
      <Section id="types" title="Soft-reboot, full reboot and kexec side by side">
        <div className="grid gap-6 xl:grid-cols-2">
          {inTypeOrder(report.byType).map((s) => (
            <div key={s.rebootType}>
              <StatsTable
                caption={`${typeName(s.rebootType)} · ${rebootCount(s.reboots)}`}
                stats={s.phases}
                rebootType={s.rebootType}
                reboots={s.reboots}
              />
              <p className={`mt-1 text-xs ${muted}`}>
                {s.withoutTotal > 0 &&
                  `${s.withoutTotal} without a total (${s.beforeLost} lost their state from before the reboot; the others reported too few timestamps). `}
                {s.rebootType !== "soft-reboot" &&
                  "A full reboot's total only covers the new boot (its clock restarted): the real downtime was longer. "}
                {s.escalated > 0 &&
                  `${s.escalated} escalated: a soft-reboot was asked for and the host rebooted fully.`}
              </p>
            </div>
          ))}
        </div>
      </Section>

      <Section id="trend" title={`Trend of the p50 total, per ${report.bucket}`}>
        <div className="grid gap-6 xl:grid-cols-2">
          <TrendChart points={typeTrend} label="p50 total per reboot type" keyLabel={typeName} />
          <TrendChart
            points={imageTrend}
            label="p50 soft-reboot total per image version"
            keyLabel={(k) => `image ${k}`}
          />
        </div>
      </Section>

      <Section id="images" title="Per image version (after the reboot)">
        <BreakdownTable
          rows={report.byImageVersion.map((s) => ({
            ...s,
            key: `${s.imageVersion}:${s.rebootType}`,
            label: s.imageVersion ?? "unknown",
          }))}
          labelHeader="Image version"
        />
      </Section>

      <Section id="payloads" title="Payloads per image version">
        <div className="space-y-4">
          <PayloadsByImage rows={report.payloads} />
          <ClientGapTable rows={report.clientGapsByImage} label="What clients saw, per image version" />
        </div>
      </Section>

      <Section id="groups" title="Per group">
        <p className={`mb-2 text-sm ${muted}`}>Groups as they are now: a node in two groups counts in both.</p>
        {report.byGroup.length === 0 ? (
          <p className={muted}>None of these reboots was on a node that is in a group now.</p>
        ) : (
          <BreakdownTable
            rows={report.byGroup.map((s) => ({ ...s, key: `${s.groupId}:${s.rebootType}`, label: s.groupName }))}
            labelHeader="Group"
          />
        )}
      </Section>

      <Section id="distribution" title="Distribution of total downtime">
        <div className="grid gap-4 lg:grid-cols-[2fr_1fr]">
          <TotalsHistogram buckets={report.histogram} />
          <HistogramTable buckets={report.histogram} />
        </div>
      </Section>

      <Section id="escalations" title="Escalations">
        {report.escalations.length === 0 ? (
          <p className={muted}>No soft-reboot escalated to a full reboot in this range.</p>
        ) : (
          <table className={tableClass} aria-label="Escalations">
            <thead>
              <tr>
                <th className={thClass}>Recorded</th>
                <th className={thClass}>Node</th>
                <th className={thClass}>Trigger</th>
                <th className={thClass}>Image</th>
                <th className={`${thClass} text-right`}>Total (new boot only)</th>
              </tr>
            </thead>
            <tbody>
              {report.escalations.map((e) => (
                <tr key={e.recordId}>
                  <td className={tdClass}>
                    <LocalTime date={e.recordedAt} />
                  </td>
                  <td className={tdClass}>
                    <NodeLink nodeId={e.nodeId} hostname={e.hostname} simulated={e.simulated} />
                  </td>
                  <td className={tdClass}>{TRIGGER_LABELS[e.trigger] ?? e.trigger}</td>
                  <td className={tdClass}>
                    {e.imageVersionBefore ?? "?"} → {e.imageVersionAfter ?? "?"}
                  </td>
                  <td className={`${tdClass} text-right`}>
                    <Ms value={e.totalMs} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <Section id="slowest-nodes" title="Slowest nodes (soft-reboots, by p95 total)">
        {report.slowestNodes.length === 0 ? (
          <p className={muted}>No soft-reboot with a known total in this range.</p>
        ) : (
          <table className={`${tableClass} max-w-3xl`} aria-label="Slowest nodes">
            <thead>
              <tr>
                <th className={thClass}>Node</th>
                <th className={`${thClass} text-right`}>Soft-reboots</th>
                <th className={`${thClass} text-right`}>p50</th>
                <th className={`${thClass} text-right`}>p95</th>
                <th className={`${thClass} text-right`}>Max</th>
              </tr>
            </thead>
            <tbody>
              {report.slowestNodes.map((n) => (
                <tr key={n.nodeId}>
                  <td className={tdClass}>
                    <NodeLink nodeId={n.nodeId} hostname={n.hostname} simulated={n.simulated} />
                  </td>
                  <td className={`${tdClass} text-right tabular-nums`}>{n.reboots}</td>
                  <td className={`${tdClass} text-right`}>
                    <Ms value={n.p50} />
                  </td>
                  <td className={`${tdClass} text-right`}>
                    <Ms value={n.p95} />
                  </td>
                  <td className={`${tdClass} text-right`}>
                    <Ms value={n.max} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <Section id="slowest-services" title="Slowest services (restart gap in soft-reboots, by p95)">
        <ServicesTable services={report.slowestServices} />
      </Section>
    </>
  );
}

function NodeLink({ nodeId, hostname, simulated }: { nodeId: string; hostname: string; simulated: boolean }) {
  return (
    <>
      <Link href={`/reports/nodes/${encodeURIComponent(nodeId)}`} className={linkClass}>
        {hostname}
      </Link>
      {simulated && <SimulatedBadge />}
    </>
  );
}

type Breakdown = Omit<Report["byImageVersion"][number], "imageVersion"> & { key: string; label: string };

/** One row per (label, reboot type): reboots, escalations and the total's p50 / p95 / max. */
function BreakdownTable({ rows, labelHeader }: { rows: Breakdown[]; labelHeader: string }) {
  // Each label's rows together, in the API's order of labels, and its types in TYPE_ORDER.
  const labelRank = new Map<string, number>();
  for (const row of rows) if (!labelRank.has(row.label)) labelRank.set(row.label, labelRank.size);
  const ordered = [...rows].sort(
    (a, b) => labelRank.get(a.label)! - labelRank.get(b.label)! || typeRank(a.rebootType) - typeRank(b.rebootType),
  );
  return (
    <table className={tableClass}>
      <thead>
        <tr>
          <th className={thClass}>{labelHeader}</th>
          <th className={thClass}>Type</th>
          <th className={`${thClass} text-right`}>Reboots</th>
          <th className={`${thClass} text-right`}>Escalated</th>
          <th className={`${thClass} text-right`}>Total p50</th>
          <th className={`${thClass} text-right`}>Total p95</th>
          <th className={`${thClass} text-right`}>Total max</th>
        </tr>
      </thead>
      <tbody>
        {ordered.map((row) => {
          const total = row.total;
          const why = row.withoutTotal === row.reboots ? "unknown (no reboot had a total)" : "unknown";
          return (
            <tr key={row.key}>
              <td className={tdClass}>{row.label}</td>
              <td className={tdClass}>{typeName(row.rebootType)}</td>
              <td className={`${tdClass} text-right tabular-nums`}>
                {row.reboots}
                {row.withoutTotal > 0 && (
                  <span className={`text-xs ${muted}`}> ({row.withoutTotal} without total)</span>
                )}
              </td>
              <td className={`${tdClass} text-right tabular-nums`}>{row.escalated}</td>
              <td className={`${tdClass} text-right`}>
                <Ms value={total.p50} why={why} />
              </td>
              <td className={`${tdClass} text-right`}>
                <Ms value={total.p95} why={why} />
              </td>
              <td className={`${tdClass} text-right`}>
                <Ms value={total.max} why={why} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
