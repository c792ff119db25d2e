"use client";

import type { RouterOutputs } from "@softfleet/api";
import Link from "next/link";
import { useState } from "react";
import { tdClass } from "~/components/ui";
import { DescriptionForm, GroupActions, type GroupEditMode, RenameGroupForm } from "./group-edit";

type Group = RouterOutputs["groups"]["list"][number];

export function GroupRow({ group, canManage }: { group: Group; canManage: boolean }) {
  const [mode, setMode] = useState<GroupEditMode>("view");
  const [returnFrom, setReturnFrom] = useState<GroupEditMode>();
  const members = group._count.members;
  const done = () => {
    setReturnFrom(mode);
    setMode("view");
  };
  return (
    <tr>
      <td className={`${tdClass} font-medium`}>
        {mode === "rename" ? (
          <RenameGroupForm group={group} onDone={done} />
        ) : (
          <Link href={`/groups/${group.id}`} className="text-sky-700 hover:underline dark:text-sky-400">
            {group.name}
          </Link>
        )}
      </td>
      <td className={`${tdClass} text-zinc-700 dark:text-zinc-300`}>
        {mode === "describe" ? (
          <DescriptionForm group={group} onDone={done} />
        ) : (
          group.description || <span className="text-zinc-500 dark:text-zinc-400">—</span>
        )}
      </td>
      <td className={`${tdClass} text-right tabular-nums`}>{members}</td>
      {canManage && (
        <td className={tdClass}>
          {mode === "view" && <GroupActions group={group} members={members} onMode={setMode} returnFrom={returnFrom} />}
        </td>
      )}
    </tr>
  );
}
