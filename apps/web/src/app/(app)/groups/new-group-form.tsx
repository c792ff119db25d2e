"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "./use-groups";

export function NewGroupForm({ id, onDone }: { id: string; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(
    trpc.groups.create.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone();
      },
    }),
  );
  return (
    <form
      id={id}
      aria-label="New group"
      className="mb-4 grid max-w-2xl gap-3 rounded-lg border border-zinc-200 p-4 sm:grid-cols-[1fr_2fr] dark:border-zinc-800"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ name, description });
      }}
    >
      <Field label="Name" htmlFor="new-group-name" hint="Letters, digits, spaces and . _ : / -">
        <TextInput
          id="new-group-name"
          required
          maxLength={64}
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </Field>
      <Field label="Description" htmlFor="new-group-description" hint="Optional">
        <TextInput
          id="new-group-description"
          maxLength={500}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </Field>
      {create.error && (
        <div className="sm:col-span-2">
          <FormError>{errorMessage(create.error)}</FormError>
        </div>
      )}
      <div className="flex gap-2 sm:col-span-2">
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create group"}
        </Button>
        <Button kind="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
