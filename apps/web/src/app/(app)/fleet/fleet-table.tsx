"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Downtime } from "~/components/downtime";
import { LabelList, labelEntries } from "~/components/labels";
import { LiveIndicator } from "~/components/live-indicator";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { RelativeTime } from "~/components/time";
import { EmptyState, FormError, PageHeader, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { type LiveChange, useInvalidateSoon, useLiveChanges } from "~/trpc/live";

type Node = RouterOutputs["nodes"]["list"][number];

const linkClass = "text-sky-700 hover:underline dark:text-sky-400";

export function FleetTable() {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const invalidateSoon = useInvalidateSoon();
  // Every node, node-event and command change can alter a row (state, version, last reboot).
  const refresh = () => invalidateSoon(trpc.nodes.list.queryKey());
  const queryClient = useQueryClient();
  const onChange = (change: LiveChange) => {
    // A new status is in the change itself: show it now, before the refetch lands.
    if (change.entity === "node" && change.status) {
      const status = change.status;
      queryClient.setQueryData(trpc.nodes.list.queryKey(), (rows) =>
        rows?.map((row) => (row.id === change.id ? { ...row, status } : row)),
      );
    }
    refresh();
  };
  // Resync on the first start too: nodes enrolling or coming online between the list's fetch and the
  // stream's start would otherwise stay stale on the page.
  const live = useLiveChanges(onChange, refresh);
  const online = nodes.data?.filter((node) => node.status === "online").length ?? 0;
  return (
    <>
      <PageHeader
        title="Fleet"
        description="Every host running the softfleet agent."
        actions={
          <div className="flex items-center gap-4">
            {nodes.data && nodes.data.length > 0 && (
              <p className="text-zinc-600 dark:text-zinc-400">
                {nodes.data.length} {nodes.data.length === 1 ? "node" : "nodes"}, {online} online
              </p>
            )}
            <LiveIndicator status={live} />
          </div>
        }
      />
      {nodes.isPending && <p role="status">Loading nodes…</p>}
      {nodes.error && <FormError>{errorMessage(nodes.error)}</FormError>}
      {nodes.data?.length === 0 && (
        <EmptyState title="No nodes yet">
          Nodes appear here once their agent enrolls. Install the softfleet agent on a host and give it an enrollment
          token from Settings.
        </EmptyState>
      )}
      {nodes.data && nodes.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Nodes</caption>
            <thead>
              <tr>
                <th className={thClass}>Host</th>
                <th className={thClass}>State</th>
                <th className={thClass}>Image version</th>
                <th className={`${thClass} text-right`}>
                  <abbr title="SoftRebootsCount: soft-reboots since the last full boot" className="no-underline">
                    Soft-reboots
                  </abbr>
                </th>
                <th className={`${thClass} text-right`}>Last reboot downtime</th>
                <th className={thClass}>Groups</th>
                <th className={thClass}>Labels</th>
                <th className={thClass}>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {nodes.data.map((node) => (
                <FleetRow key={node.id} node={node} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function FleetRow({ node }: { node: Node }) {
  return (
    <tr>
      <td className={tdClass}>
        <Link href={`/nodes/${node.id}`} className={`mr-2 font-medium ${linkClass}`}>
          {node.hostname}
        </Link>
        {node.simulated && <SimulatedBadge />}
        {node.revokedAt && <span className="text-xs text-red-700 dark:text-red-400">revoked</span>}
      </td>
      <td className={tdClass}>
        <StatusBadge status={node.status} />
      </td>
      <td className={`${tdClass} font-mono text-xs`}>
        {node.imageVersion ?? "—"}
        {node.nextrootStaged && (
          <span
            className="ml-1 font-sans text-zinc-600 dark:text-zinc-400"
            title="A new image is staged at /run/nextroot"
          >
            <span aria-hidden="true">→ </span>
            <span className="sr-only">, staged: </span>
            {node.nextrootImageVersion ?? "new image"}
          </span>
        )}
      </td>
      <td className={`${tdClass} text-right tabular-nums`}>{node.softRebootsCount ?? "—"}</td>
      <td className={`${tdClass} text-right`}>
        <Downtime record={node.lastReboot} />
      </td>
      <td className={tdClass}>
        {node.memberships.length === 0
          ? "—"
          : node.memberships.map((m, i) => (
              <span key={m.group.id}>
                {i > 0 && ", "}
                <Link href={`/groups/${m.group.id}`} className={linkClass}>
                  {m.group.name}
                </Link>
              </span>
            ))}
      </td>
      <td className={tdClass}>
        {labelEntries(node.labels).length === 0 ? (
          "—"
        ) : (
          <LabelList labels={labelEntries(node.labels)} label={`Labels of ${node.hostname}`} />
        )}
      </td>
      <td className={tdClass}>
        <RelativeTime date={node.lastSeenAt} />
      </td>
    </tr>
  );
}
