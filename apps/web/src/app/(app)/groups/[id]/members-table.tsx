"use client";

import type { RouterOutputs } from "@softfleet/api";
import { GROUP_PAGE_SIZES } from "@softfleet/api/group-view";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { HostnameSearch } from "~/components/hostname-search";
import { SimulatedBadge, StatusBadge } from "~/components/node-badges";
import { Pager } from "~/components/pager";
import { RelativeTime } from "~/components/time";
import { Button, FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "../use-groups";
import { useClampedPage, usePagedSearch } from "./use-paged-search";

type Group = RouterOutputs["groups"]["get"];

/** The group's static members, a page at a time from the server, found by part of their hostname. */
export function MembersTable({ group, canManage }: { group: Group; canManage: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const search = usePagedSearch();
  const members = useQuery({
    ...trpc.groups.members.queryOptions({ groupId: group.id, ...search.query }),
    placeholderData: keepPreviousData,
    enabled: group.memberCount > 0,
  });
  useClampedPage(search, members.data?.matching);
  const remove = useMutation(trpc.groups.removeMembers.mutationOptions({ onSuccess: invalidate }));

  if (group.memberCount === 0) {
    return <p className="text-zinc-600 dark:text-zinc-400">This group has no members yet.</p>;
  }
  return (
    <>
      {group.memberCount > GROUP_PAGE_SIZES[0] && (
        <div className="mb-3">
          <HostnameSearch
            id="member-search"
            label="Find a member"
            value={search.text}
            onChange={search.setText}
            className="w-56"
          />
        </div>
      )}
      {remove.error && (
        <div className="mb-2">
          <FormError>{errorMessage(remove.error)}</FormError>
        </div>
      )}
      {members.error && <FormError>{errorMessage(members.error)}</FormError>}
      {members.isPending ? (
        <p role="status">Loading members…</p>
      ) : (
        members.data && (
          <>
            <div className="overflow-x-auto">
              <table className={tableClass} aria-busy={members.isPlaceholderData}>
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
                  {members.data.rows.map((node) => (
                    <tr key={node.id}>
                      <td className={tdClass}>
                        <span className="mr-2 font-medium">{node.hostname}</span>
                        {node.simulated && <SimulatedBadge />}
                      </td>
                      <td className={tdClass}>
                        <StatusBadge status={node.status} />
                        {node.revoked && <span className="ml-2 text-xs text-red-700 dark:text-red-400">revoked</span>}
                      </td>
                      <td className={`${tdClass} font-mono text-xs`}>{node.imageVersion ?? "—"}</td>
                      <td className={tdClass}>
                        <RelativeTime date={node.addedAt} />
                      </td>
                      {canManage && (
                        <td className={`${tdClass} text-right`}>
                          <Button
                            kind="secondary"
                            disabled={remove.isPending && remove.variables?.nodeIds.includes(node.id)}
                            onClick={() => remove.mutate({ groupId: group.id, nodeIds: [node.id] })}
                          >
                            Remove<span className="sr-only"> {node.hostname}</span>
                          </Button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {(members.data.matching > search.pageSize || search.page > 1) && (
              <Pager
                label="Member pages"
                id="members-page-size"
                noun="Members"
                page={search.page}
                pageSize={search.pageSize}
                sizes={GROUP_PAGE_SIZES}
                matching={members.data.matching}
                onPage={search.setPage}
                onPageSize={search.setPageSize}
              />
            )}
            {members.data.matching === 0 && (
              <p className="text-zinc-600 dark:text-zinc-400">No member's hostname contains “{search.query.q}”.</p>
            )}
          </>
        )
      )}
    </>
  );
}
