"use client";

import { useQuery } from "@tanstack/react-query";
import { EmptyState, PageHeader, tableClass, tdClass, thClass } from "~/components/ui";
import { useTRPC } from "~/trpc/client";

export function FleetTable() {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  return (
    <>
      <PageHeader title="Fleet" description="Every host running the softfleet agent." />
      {nodes.data?.length === 0 && (
        <EmptyState title="No nodes yet">
          Nodes appear here once their agent enrolls. Install the softfleet agent on a host and give it an
          enrollment token from Settings.
        </EmptyState>
      )}
      {nodes.data && nodes.data.length > 0 && (
        <table className={tableClass}>
          <thead>
            <tr>
              <th className={thClass}>Host</th>
              <th className={thClass}>State</th>
              <th className={thClass}>Image version</th>
              <th className={thClass}>Groups</th>
            </tr>
          </thead>
          <tbody>
            {nodes.data.map((node) => (
              <tr key={node.id}>
                <td className={tdClass}>{node.hostname}</td>
                <td className={tdClass}>{node.status}</td>
                <td className={tdClass}>{node.imageVersion ?? "—"}</td>
                <td className={tdClass}>{node.memberships.map((m) => m.group.name).join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
