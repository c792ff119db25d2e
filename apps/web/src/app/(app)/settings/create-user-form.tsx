"use client";

import type { Role } from "@softfleet/db";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ROLE_OPTIONS } from "~/components/roles";
import { Button, Field, FormError, Select, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateUsers } from "./use-users";

const empty = { username: "", displayName: "", password: "", role: "viewer" as Role };

export function CreateUserForm() {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const [form, setForm] = useState(empty);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setForm(empty);
        await invalidate();
      },
    }),
  );
  const set = (key: keyof typeof empty) => (e: { target: { value: string } }) =>
    setForm((prev) => ({ ...prev, [key]: e.target.value }));

  return (
    <form
      aria-label="Create user"
      className="grid max-w-3xl gap-3 sm:grid-cols-2 lg:grid-cols-4"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(form);
      }}
    >
      <Field label="Username" htmlFor="new-user-username">
        <TextInput
          id="new-user-username"
          autoComplete="off"
          required
          value={form.username}
          onChange={set("username")}
        />
      </Field>
      <Field label="Display name" htmlFor="new-user-display-name">
        <TextInput id="new-user-display-name" required value={form.displayName} onChange={set("displayName")} />
      </Field>
      <Field label="Password" htmlFor="new-user-password" hint="At least 10 characters.">
        <TextInput
          id="new-user-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={form.password}
          onChange={set("password")}
        />
      </Field>
      <Field label="Role" htmlFor="new-user-role">
        <Select id="new-user-role" value={form.role} onChange={set("role")} className="w-full">
          {ROLE_OPTIONS.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </Select>
      </Field>
      {create.error && (
        <div className="sm:col-span-2 lg:col-span-4">
          <FormError>{errorMessage(create.error)}</FormError>
        </div>
      )}
      {create.isSuccess && !create.error && (
        <p role="status" className="text-green-800 sm:col-span-2 lg:col-span-4 dark:text-green-300">
          Created {create.data.username}.
        </p>
      )}
      <div className="sm:col-span-2 lg:col-span-4">
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create user"}
        </Button>
      </div>
    </form>
  );
}
