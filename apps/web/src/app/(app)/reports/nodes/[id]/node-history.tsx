"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SimulatedBadge } from "~/components/node-badges";
import { ExportLinks } from "~/components/reports/export-links";
import { Flag, Ms, PhaseCell, TypeLabel } from "~/components/reports/figures";
import { BAR_PHASES, PHASE_SHORT, TRIGGER_LABELS } from "~/components/reports/labels";
import { LocalTime } from "~/components/time";
import { EmptyState, FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { Section } from "../../report-parts";

const linkClass = "text-sky-700 hover:underline dark:text-sky-400";
const muted = "text-zinc-600 dark:text-zinc-400";

/** Every reboot of one node: type, trigger, phases and the rollout that asked for it. */
export function NodeHistoryView({ id }: { id: string }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.reports.node.queryOptions({ nodeId: id }));
  if (history.isPending) return <p role="status">Loading the node&apos;s reboots…</p>;
  if (history.error) {
    return history.error.data?.code === "NOT_FOUND" ? (
      <EmptyState title="Node not found">There is no node with this id.</EmptyState>
    ) : (
      <FormError>{errorMessage(history.error)}</FormError>
    );
  }
  const { node, reboots, truncated } = history.data;
  return (
    <>
      <Link href="/reports" className={`mb-2 inline-block print:hidden ${linkClass}`}>
        ← Reports
      </Link>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">
            Reboots of {node.hostname}
            {node.simulated && <SimulatedBadge />}
          </h1>
          <p className={muted}>
            Image version now: {node.imageVersion ?? "unknown"}.{" "}
            <Link href={`/nodes/${encodeURIComponent(node.id)}`} className={`${linkClass} print:hidden`}>
              Open the node
            </Link>
          </p>
        </div>
        <ExportLinks href={`/reports/nodes/${encodeURIComponent(node.id)}/export`} />
      </div>
      <Section id="history" title="Node history">
        {reboots.length === 0 ? (
          <p className={muted}>This node has not reported any reboot.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className={tableClass} aria-label="Reboots">
              <thead>
                <tr>
                  <th className={thClass}>Recorded</th>
                  <th className={thClass}>Type</th>
                  <th className={thClass}>Trigger</th>
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
                {reboots.map((r) => (
                  <tr key={r.recordId}>
                    <td className={`${tdClass} whitespace-nowrap`}>
                      <LocalTime date={r.recordedAt} />
                    </td>
                    <td className={tdClass}>
                      <TypeLabel type={r.rebootType} />
                      {r.escalated && <Flag>escalated</Flag>}
                    </td>
                    <td className={tdClass}>
                      {TRIGGER_LABELS[r.trigger] ?? r.trigger}
                      {r.rolloutId && (
                        <div className="text-xs">
                          <Link href={`/reports/rollouts/${encodeURIComponent(r.rolloutId)}`} className={linkClass}>
                            rollout of {r.rolloutGroupName}
                          </Link>
                        </div>
                      )}
                    </td>
                    {BAR_PHASES.map((phase) => (
                      <td key={phase} className={`${tdClass} text-right`}>
                        <PhaseCell rebootType={r.rebootType} phase={phase} value={r[phase]} />
                      </td>
                    ))}
                    <td className={`${tdClass} text-right`}>
                      {r.totalMs !== null && r.rebootType !== "soft-reboot" && <span title="at least">≥ </span>}
                      <Ms value={r.totalMs} why={r.missingTotal} />
                    </td>
                    <td className={`${tdClass} whitespace-nowrap`}>
                      {r.imageVersionBefore ?? "?"} → {r.imageVersionAfter ?? "?"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {truncated && (
              <p className={`mt-2 text-sm ${muted}`}>Only the latest 1,000 reboots are shown and exported.</p>
            )}
          </div>
        )}
      </Section>
    </>
  );
}
