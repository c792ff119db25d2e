"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { LocalTime } from "~/components/time";
import { EmptyState, FormError, PageHeader } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { DescriptionForm, GroupActions, type GroupEditMode, RenameGroupForm } from "../group-edit";
import { AddMembers } from "./add-members";
import { FleetLockPanel } from "./fleetlock-panel";
import { LabelSelector } from "./label-selector";
import { MembersTable } from "./members-table";

export function GroupDetail({ id, canManage }: { id: string; canManage: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const group = useQuery(trpc.groups.get.queryOptions({ id }));
  const [mode, setMode] = useState<GroupEditMode>("view");
  const [returnFrom, setReturnFrom] = useState<GroupEditMode>();
  const [deleted, setDeleted] = useState(false);

  const back = (
    <Link href="/groups" className="mb-2 inline-block text-sky-700 hover:underline dark:text-sky-400">
      ← All groups
    </Link>
  );
  if (group.isPending || deleted) return <p role="status">{deleted ? "Group deleted." : "Loading group…"}</p>;
  if (group.error) {
    return (
      <>
        {back}
        {group.error.data?.code === "NOT_FOUND" ? (
          <EmptyState title="Group not found">This group does not exist; it may have been deleted.</EmptyState>
        ) : (
          <FormError>{errorMessage(group.error)}</FormError>
        )}
      </>
    );
  }

  const data = group.data;
  const done = () => {
    setReturnFrom(mode);
    setMode("view");
  };
  return (
    <>
      {back}
      <PageHeader
        title={data.name}
        description={data.description || "No description."}
        actions={
          canManage &&
          mode === "view" && (
            <GroupActions
              group={data}
              members={data.memberCount}
              onMode={setMode}
              returnFrom={returnFrom}
              onDeleted={() => {
                setDeleted(true);
                router.push("/groups");
              }}
            />
          )
        }
      />
      {mode !== "view" && (
        <div className="mb-4 max-w-md">
          {mode === "rename" ? (
            <RenameGroupForm group={data} onDone={done} />
          ) : (
            <DescriptionForm group={data} onDone={done} />
          )}
        </div>
      )}
      <dl className="mb-6 grid max-w-xl grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className="text-zinc-500 dark:text-zinc-400">Members</dt>
        <dd className="tabular-nums">{data.memberCount.toLocaleString("en")}</dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Created</dt>
        <dd>
          <LocalTime date={data.createdAt} />
        </dd>
        <dt className="text-zinc-500 dark:text-zinc-400">Last changed</dt>
        <dd>
          <LocalTime date={data.updatedAt} />
        </dd>
      </dl>
      {canManage && (
        <p className="mb-6">
          <Link
            href={`/rollouts/new?groupId=${encodeURIComponent(data.id)}`}
            className="text-sky-700 hover:underline dark:text-sky-400"
          >
            Start a rollout of this group
          </Link>
        </p>
      )}
      <section aria-labelledby="members-heading" className="mb-8">
        <h2 id="members-heading" className="mb-2 text-base font-semibold">
          Members
        </h2>
        <MembersTable group={data} canManage={canManage} />
      </section>
      <section aria-labelledby="selector-heading" className="mb-8">
        <h2 id="selector-heading" className="mb-2 text-base font-semibold">
          Label selector
        </h2>
        <LabelSelector group={data} canManage={canManage} />
      </section>
      <section id="fleetlock" aria-labelledby="fleetlock-heading" className="mb-8">
        <h2 id="fleetlock-heading" className="mb-2 text-base font-semibold">
          FleetLock (Zincati)
        </h2>
        <FleetLockPanel groupId={data.id} canManage={canManage} />
      </section>
      {canManage && (
        <section aria-labelledby="add-members-heading">
          <h2 id="add-members-heading" className="mb-2 text-base font-semibold">
            Add members
          </h2>
          <AddMembers group={data} />
        </section>
      )}
    </>
  );
}
