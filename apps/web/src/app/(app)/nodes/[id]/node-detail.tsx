"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type ReactNode, useState } from "react";
import { LiveIndicator } from "~/components/live-indicator";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { EmptyState, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { CommandsTable } from "./commands-table";
import { EventTimeline } from "./event-timeline";
import { NodeAdminActions } from "./node-admin-actions";
import { NodeContainers, NodePortables } from "./node-containers";
import { NodeCycles } from "./node-cycles";
import { NodeFleetLock } from "./node-fleetlock";
import { NodeIdentity } from "./node-identity";
import { NodeInhibitors } from "./node-inhibitors";
import { NodeNetwork } from "./node-network";
import { NodeServices } from "./node-services";
import { PinnedRootWarning } from "./pinned-root";
import { RebootRecords } from "./reboot-records";
import { SoftRebootButton } from "./soft-reboot-button";
import { SurvivalHelp } from "./survival-help";
import { useNodeLive } from "./use-node-live";

export type NodeData = RouterOutputs["nodes"]["get"];

export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="mb-8">
      <h2 id={id} className="mb-2 border-b border-zinc-200 pb-1 text-base font-semibold dark:border-zinc-800">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function NodeDetail({
  id,
  canReboot,
  canAdminister,
}: {
  id: string;
  canReboot: boolean;
  canAdminister: boolean;
}) {
  const trpc = useTRPC();
  const node = useQuery(trpc.nodes.get.queryOptions({ id }));
  const live = useNodeLive(id);
  const [deleted, setDeleted] = useState(false);

  const back = (
    <Link href="/fleet" className="mb-2 inline-block text-sky-700 hover:underline dark:text-sky-400">
      ← Fleet
    </Link>
  );
  if (deleted) return <p role="status">Node deleted.</p>;
  if (node.isPending) return <p role="status">Loading node…</p>;
  if (node.error) {
    return (
      <>
        {back}
        {node.error.data?.code === "NOT_FOUND" ? (
          <EmptyState title="Node not found">This node does not exist; it may have been deleted.</EmptyState>
        ) : (
          <FormError>{errorMessage(node.error)}</FormError>
        )}
      </>
    );
  }

  const data = node.data;
  const revoked = data.revokedAt !== null;
  return (
    <>
      {back}
      <div className="mb-4 flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="flex flex-wrap items-center gap-2 text-xl font-semibold tracking-tight">
            {data.hostname}
            <StatusBadge status={data.status} />
            {data.simulated && <SimulatedBadge />}
          </h1>
          <p className="mt-1 flex flex-wrap items-center gap-3 text-zinc-600 dark:text-zinc-400">
            {revoked ? (
              <span className="font-medium text-red-700 dark:text-red-400">
                Revoked: the node&apos;s credential no longer works; delete it to let its machine enroll again.
              </span>
            ) : (
              <span>A host in the fleet, as its agent last reported it.</span>
            )}
            <LiveIndicator status={live} />
          </p>
        </div>
        <div className="flex flex-wrap items-start gap-2">
          {canReboot && !revoked && <SoftRebootButton node={data} />}
          {canAdminister && <NodeAdminActions node={data} onDeleted={() => setDeleted(true)} />}
        </div>
      </div>
      <Section id="identity-heading" title="Identity">
        <NodeIdentity node={data} />
      </Section>
      <Section id="inhibitors-heading" title="Shutdown inhibitors">
        <NodeInhibitors value={data.inhibitors} systemdVersion={data.systemdVersion} />
      </Section>
      <Section id="payloads-heading" title="Payloads">
        <div className="space-y-3">
          <PinnedRootWarning value={data.pinnedRoot} when="now" />
          <NodeServices units={data.units} />
          <NodeContainers value={data.containers} />
          <NodePortables value={data.portables} />
          <NodeNetwork value={data.network} />
        </div>
        <SurvivalHelp />
      </Section>
      <Section id="fleetlock-heading" title="FleetLock">
        <NodeFleetLock nodeId={data.id} />
      </Section>
      <Section id="records-heading" title="Reboot records">
        <RebootRecords nodeId={data.id} />
      </Section>
      <Section id="cycles-heading" title="Boots and soft-reboots">
        <NodeCycles nodeId={data.id} />
      </Section>
      <Section id="timeline-heading" title="Event timeline">
        <EventTimeline nodeId={data.id} />
      </Section>
      <Section id="commands-heading" title="Commands">
        <CommandsTable nodeId={data.id} />
      </Section>
    </>
  );
}
