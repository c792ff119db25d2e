"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useMutation } from "@tanstack/react-query";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { RelativeTime } from "~/components/time";
import { Button, FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "../use-groups";

type Group = RouterOutputs["groups"]["get"];

export function MembersTable({ group, canManage }: { group: Group; canManage: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const remove = useMutation(trpc.groups.removeMembers.mutationOptions({ onSuccess: invalidate }));

  if (group.members.length === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">This group has no members yet.</p>;
  }
  return (
    <>
      {remove.error && (
        <div className="mb-2">
          <FormError>{errorMessage(remove.error)}</FormError>
        </div>
      )}
      <div className="overflow-x-auto">
        <table className={tableClass}>
          <caption className="sr-only">Members of {group.name}</caption>
          <thead>
            <tr>
              <th className={thClass}>Hostname</th>
              <th className={thClass}>Status</th>
              <th className={thClass}>Image version</th>
              <th className={thClass}>Added</th>
              {canManage && (
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {group.members.map(({ node, addedAt }) => (
              <tr key={node.id}>
                <td className={tdClass}>
                  <span className="mr-2 font-medium">{node.hostname}</span>
                  {node.simulated && <SimulatedBadge />}
                </td>
                <td className={tdClass}>
                  <StatusBadge status={node.status} />
                </td>
                <td className={`${tdClass} font-mono text-xs`}>{node.imageVersion ?? "—"}</td>
                <td className={tdClass}>
                  <RelativeTime date={addedAt} />
                </td>
                {canManage && (
                  <td className={`${tdClass} text-right`}>
                    <Button
                      kind="secondary"
                      disabled={remove.isPending && remove.variables?.nodeIds.includes(node.id)}
                      onClick={() => remove.mutate({ groupId: group.id, nodeIds: [node.id] })}
                    >
                      Remove
                    </Button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
