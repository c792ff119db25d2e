"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { RelativeTime } from "~/components/time";
import { EmptyState, FormError, PageHeader, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

export function FleetTable() {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const online = nodes.data?.filter((node) => node.status === "online").length ?? 0;
  return (
    <>
      <PageHeader
        title="Fleet"
        description="Every host running the softfleet agent."
        actions={
          nodes.data &&
          nodes.data.length > 0 && (
            <p className="text-zinc-600 dark:text-zinc-400">
              {nodes.data.length} {nodes.data.length === 1 ? "node" : "nodes"}, {online} online
            </p>
          )
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
                <th className={`${thClass} text-right`}>Soft-reboots</th>
                <th className={thClass}>Last seen</th>
                <th className={thClass}>Groups</th>
              </tr>
            </thead>
            <tbody>
              {nodes.data.map((node) => (
                <tr key={node.id}>
                  <td className={tdClass}>
                    <span className="mr-2 font-medium">{node.hostname}</span>
                    {node.simulated && <SimulatedBadge />}
                  </td>
                  <td className={tdClass}>
                    <StatusBadge status={node.status} />
                  </td>
                  <td className={`${tdClass} font-mono text-xs`}>{node.imageVersion ?? "—"}</td>
                  <td
                    className={`${tdClass} text-right tabular-nums`}
                    title="SoftRebootsCount: soft-reboots since the last full boot"
                  >
                    {node.softRebootsCount ?? "—"}
                  </td>
                  <td className={tdClass}>
                    <RelativeTime date={node.lastSeenAt} />
                  </td>
                  <td className={tdClass}>
                    {node.memberships.length === 0
                      ? "—"
                      : node.memberships.map((m, i) => (
                          <span key={m.group.id}>
                            {i > 0 && ", "}
                            <Link
                              href={`/groups/${m.group.id}`}
                              className="text-sky-700 hover:underline dark:text-sky-400"
                            >
                              {m.group.name}
                            </Link>
                          </span>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
