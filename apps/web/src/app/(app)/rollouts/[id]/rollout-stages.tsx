"use client";

import type { RouterOutputs } from "@softfleet/api";
import Link from "next/link";
import type { ReactNode } from "react";
import { Downtime } from "~/components/downtime";
import { SimulatedBadge } from "~/components/node-badges";
import { PhaseBar } from "~/components/phase-bar";
import { phasesOf } from "~/components/phases";
import { BatchStatusBadge, NodeProgress, RolloutNodeStatusBadge } from "~/components/rollout-badges";
import { RelativeTime } from "~/components/time";
import { tableClass, tdClass, thClass } from "~/components/ui";
import { nodesText, stageName } from "../stages";
import { NodeBlockers } from "./node-blockers";
import { StagingProgress } from "./staging-progress";

type Rollout = RouterOutputs["rollouts"]["get"];
type RolloutNode = Rollout["nodes"][number];

const muted = "text-zinc-600 dark:text-zinc-400";

/**
 * Each stage (canary, batch 1..n) with its progress and, of the page of nodes
 * the server sent (one state, or all, in the batches' order), its own.
 */
export function RolloutStages({
  rollout,
  canOperate,
  filtered,
}: {
  rollout: Rollout;
  canOperate: boolean;
  /** Whether the page shows the nodes of one state only. */
  filtered: boolean;
}) {
  return (
    <div className="space-y-4">
      {rollout.batches.map((batch) => {
        const nodes = rollout.nodes.filter((n) => n.batchIndex === batch.index);
        const name = stageName(rollout.batches, batch.index);
        const headingId = `stage-${batch.index}`;
        return (
          <section
            key={batch.index}
            aria-labelledby={headingId}
            className="space-y-2 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
          >
            <header className="flex flex-wrap items-center gap-x-3 gap-y-1">
              <h3 id={headingId} className="font-semibold">
                {name}
              </h3>
              <BatchStatusBadge status={batch.status} />
              <span className={`text-xs ${muted}`}>
                {nodesText(batch.counts.total)}
                {batch.startedAt && (
                  <>
                    {" "}
                    · started <RelativeTime date={batch.startedAt} />
                  </>
                )}
                {batch.finishedAt && (
                  <>
                    {" "}
                    · finished <RelativeTime date={batch.finishedAt} />
                  </>
                )}
              </span>
            </header>
            <NodeProgress counts={batch.counts} rollback={rollout.rollbackOfId !== null} wide />
            {nodes.length === 0 ? (
              <p className={`text-sm ${muted}`}>
                {filtered ? "None of its nodes in that state on this page." : "Its nodes are on other pages."}
              </p>
            ) : (
              <StageNodes
                nodes={nodes}
                rollback={rollout.rollbackOfId !== null}
                caption={`Nodes of ${name}`}
                blockers={(node) => (
                  <NodeBlockers
                    rolloutId={rollout.id}
                    node={node}
                    canOperate={canOperate && rollout.active}
                    timeoutSec={blockedTimeoutOf(rollout.plan)}
                  />
                )}
              />
            )}
          </section>
        );
      })}
    </div>
  );
}

/** The plan's blockedTimeoutSec (plans from before it existed: the default). */
function blockedTimeoutOf(plan: unknown): number {
  const value = (plan as { blockedTimeoutSec?: unknown } | null)?.blockedTimeoutSec;
  return typeof value === "number" ? value : 600;
}

function StageNodes({
  nodes,
  caption,
  blockers,
  rollback,
}: {
  nodes: RolloutNode[];
  caption: string;
  rollback: boolean;
  blockers: (node: RolloutNode) => ReactNode;
}) {
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th className={thClass}>Host</th>
            <th className={thClass}>State</th>
            <th className={thClass}>Reason</th>
            <th className={thClass}>Image version</th>
            <th className={`${thClass} text-right`}>Downtime</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <NodeRows key={node.nodeId} node={node} blockers={blockers(node)} rollback={rollback} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NodeRows({ node, blockers, rollback }: { node: RolloutNode; blockers: ReactNode; rollback: boolean }) {
  const record = node.record ? { ...node.record, phases: phasesOf(node.record.timestamps, node.record.kind) } : null;
  return (
    <>
      <tr>
        <td className={`${tdClass} ${record ? "border-b-0" : ""}`}>
          <Link
            href={`/nodes/${node.nodeId}`}
            className="mr-2 font-medium text-sky-700 hover:underline dark:text-sky-400"
          >
            {node.hostname}
          </Link>
          {node.node.simulated && <SimulatedBadge />}
        </td>
        <td className={`${tdClass} ${record ? "border-b-0" : ""}`}>
          <RolloutNodeStatusBadge status={node.status} rollback={rollback} />
        </td>
        <td className={`${tdClass} ${record ? "border-b-0" : ""} max-w-md`}>
          {node.reason ??
            (["pending", "staging", "staged"].includes(node.status) ? null : <span className={muted}>—</span>)}
          {(node.status === "staging" || node.status === "staged") && node.stage && (
            <StagingProgress stage={node.stage} hostname={node.hostname} />
          )}
          {blockers}
          {node.status === "rebooting" && node.rebootStartedAt && (
            <span className={`block text-xs ${muted}`}>
              since <RelativeTime date={node.rebootStartedAt} />
            </span>
          )}
        </td>
        <td className={`${tdClass} ${record ? "border-b-0" : ""} font-mono text-xs`}>
          <ImageVersions node={node} />
        </td>
        <td className={`${tdClass} ${record ? "border-b-0" : ""} text-right`}>
          {record ? <Downtime record={{ ...record, beforeLost: false }} /> : <span className={muted}>—</span>}
        </td>
      </tr>
      {record && (
        <tr>
          <td colSpan={5} className={`${tdClass} pt-0`}>
            <span className="sr-only">Reboot phases of {node.hostname}: </span>
            <PhaseBar record={record} />
          </td>
        </tr>
      )}
    </>
  );
}

function ImageVersions({ node }: { node: RolloutNode }) {
  const unknown = <span className={`font-sans ${muted}`}>unknown</span>;
  if (!node.record) {
    return (
      <span title="The version the node runs now">
        {node.node.imageVersion ?? unknown}
        <span className={`font-sans ${muted}`}> (now)</span>
      </span>
    );
  }
  return (
    <>
      {node.record.imageVersionBefore ?? unknown} <span aria-hidden="true">→</span>
      <span className="sr-only"> to </span> {node.record.imageVersionAfter ?? unknown}
    </>
  );
}
