"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "~/components/confirm-dialog";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "./use-groups";

type GroupRef = { id: string; name: string; description: string };

/** One-field inline edit form with Save and Cancel. */
function InlineForm({
  label,
  inputId,
  initial,
  maxLength,
  required,
  error,
  pending,
  onSave,
  onCancel,
}: {
  label: string;
  inputId: string;
  initial: string;
  maxLength: number;
  required?: boolean;
  error: unknown;
  pending: boolean;
  onSave: (value: string) => void;
  onCancel: () => void;
}) {
  const [value, setValue] = useState(initial);
  return (
    <form
      className="space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        onSave(value);
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") onCancel();
      }}
    >
      <Field label={label} htmlFor={inputId}>
        <TextInput
          id={inputId}
          autoFocus
          required={required}
          maxLength={maxLength}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      </Field>
      {error != null && <FormError>{errorMessage(error)}</FormError>}
      <div className="flex gap-2">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </Button>
        <Button kind="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

export function RenameGroupForm({ group, onDone }: { group: GroupRef; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const rename = useMutation(
    trpc.groups.rename.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone();
      },
    }),
  );
  return (
    <InlineForm
      label="New name"
      inputId={`rename-${group.id}`}
      initial={group.name}
      maxLength={64}
      required
      error={rename.error}
      pending={rename.isPending}
      onSave={(name) => rename.mutate({ groupId: group.id, name })}
      onCancel={onDone}
    />
  );
}

export function DescriptionForm({ group, onDone }: { group: GroupRef; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const describe = useMutation(
    trpc.groups.setDescription.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone();
      },
    }),
  );
  return (
    <InlineForm
      label="New description"
      inputId={`describe-${group.id}`}
      initial={group.description}
      maxLength={500}
      error={describe.error}
      pending={describe.isPending}
      onSave={(description) => describe.mutate({ groupId: group.id, description })}
      onCancel={onDone}
    />
  );
}

export function DeleteGroupButton({
  group,
  members,
  onDeleted,
}: {
  group: GroupRef;
  members: number;
  onDeleted?: () => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const remove = useMutation(trpc.groups.delete.mutationOptions());
  return (
    <ConfirmButton
      label="Delete"
      title={`Delete group “${group.name}”?`}
      onConfirm={async () => {
        await remove.mutateAsync({ groupId: group.id });
        onDeleted?.();
        await invalidate();
      }}
    >
      {members === 0
        ? "The group has no members. "
        : `Its ${members} ${members === 1 ? "member stays" : "members stay"} in the fleet; only the group goes. `}
      This cannot be undone.
    </ConfirmButton>
  );
}

export type GroupEditMode = "view" | "rename" | "describe";

/** The Rename / Edit description / Delete buttons for one group. */
export function GroupActions({
  group,
  members,
  onMode,
  onDeleted,
  returnFrom,
}: {
  group: GroupRef;
  members: number;
  onMode: (mode: GroupEditMode) => void;
  onDeleted?: () => void;
  /** The edit form just closed, so its button takes the focus back. */
  returnFrom?: GroupEditMode;
}) {
  return (
    <div className="flex flex-wrap justify-end gap-1.5">
      <Button kind="secondary" autoFocus={returnFrom === "rename"} onClick={() => onMode("rename")}>
        Rename
      </Button>
      <Button kind="secondary" autoFocus={returnFrom === "describe"} onClick={() => onMode("describe")}>
        Edit description
      </Button>
      <DeleteGroupButton group={group} members={members} onDeleted={onDeleted} />
    </div>
  );
}
