"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button, EmptyState, FormError, PageHeader, tableClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { GroupRow } from "./group-row";
import { NewGroupForm } from "./new-group-form";

export function GroupsView({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageHeader
        title="Groups"
        description="Node groups decide which hosts a rollout soft-reboots together."
        actions={
          canManage && (
            <Button aria-expanded={creating} aria-controls="new-group" onClick={() => setCreating((open) => !open)}>
              New group
            </Button>
          )
        }
      />
      {canManage && creating && <NewGroupForm id="new-group" onDone={() => setCreating(false)} />}
      {groups.isPending && <p role="status">Loading groups…</p>}
      {groups.error && <FormError>{errorMessage(groups.error)}</FormError>}
      {groups.data?.length === 0 && (
        <EmptyState title="No groups yet">
          Groups collect nodes so that rollouts can soft-reboot them in stages.{" "}
          {canManage ? "Create the first one with “New group”." : "An operator or admin can create them."}
        </EmptyState>
      )}
      {groups.data && groups.data.length > 0 && (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <caption className="sr-only">Node groups</caption>
            <thead>
              <tr>
                <th className={thClass}>Name</th>
                <th className={thClass}>Description</th>
                <th className={`${thClass} text-right`}>Members</th>
                {canManage && (
                  <th className={thClass}>
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {groups.data.map((group) => (
                <GroupRow key={group.id} group={group} canManage={canManage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
