"use client";

import type { Role } from "@softfleet/db";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { can, ROLE_OPTIONS } from "~/components/roles";
import { ShownOnce } from "~/components/shown-once";
import { Button, Field, FormError, Select, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";

/** The new API token, shown once, with the CLI command that uses it. */
function CreatedApiToken({ token, name, onDismiss }: { token: string; name: string; onDismiss: () => void }) {
  const login = `softfleet login --url ${typeof window === "undefined" ? "<this address>" : window.location.origin} --token-stdin`;
  return (
    <ShownOnce
      title={<>API token “{name}” created: copy it now</>}
      intro="It is shown this once; softfleet keeps only its hash. If you lose it, revoke it and create another."
      label="API token"
      value={token}
      copyLabel="Copy API token"
      onDismiss={onDismiss}
    >
      <p className="text-xs">
        Use it with the CLI (<code className="font-mono">{login}</code>, then paste it), or send it as{" "}
        <code className="font-mono">Authorization: Bearer …</code>; a pipeline can set{" "}
        <code className="font-mono">SOFTFLEET_TOKEN</code> instead.
      </p>
    </ShownOnce>
  );
}

export function CreateApiTokenForm({ ownRole }: { ownRole: Role }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const empty = { name: "", role: ownRole, expiresInDays: "90" };
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: async (result) => {
        setCreated({ token: result.token, name: result.name });
        setForm(empty);
        await queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
      },
    }),
  );
  const roles = ROLE_OPTIONS.filter((role) => can(ownRole, role));
  return (
    <>
      {created && (
        <CreatedApiToken
          token={created.token}
          name={created.name}
          onDismiss={() => {
            setCreated(null);
            create.reset();
          }}
        />
      )}
      <form
        aria-label="Create API token"
        className="grid max-w-3xl gap-3 sm:grid-cols-[2fr_1fr_1fr]"
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate({ name: form.name, role: form.role, expiresInDays: Number(form.expiresInDays) });
        }}
      >
        <Field label="Name" htmlFor="api-token-name" hint="What uses it, e.g. “deploy pipeline”.">
          <TextInput
            id="api-token-name"
            required
            maxLength={64}
            value={form.name}
            onChange={(e) => setForm((prev) => ({ ...prev, name: e.target.value }))}
          />
        </Field>
        <Field label="Role" htmlFor="api-token-role" hint="Up to your own.">
          <Select
            id="api-token-role"
            value={form.role}
            onChange={(e) => setForm((prev) => ({ ...prev, role: e.target.value as Role }))}
          >
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Expires in (days)" htmlFor="api-token-days" hint="1 to 366.">
          <TextInput
            id="api-token-days"
            type="number"
            required
            min={1}
            max={366}
            step={1}
            value={form.expiresInDays}
            onChange={(e) => setForm((prev) => ({ ...prev, expiresInDays: e.target.value }))}
          />
        </Field>
        {create.error && (
          <div className="sm:col-span-3">
            <FormError>{errorMessage(create.error)}</FormError>
          </div>
        )}
        <div className="sm:col-span-3">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create API token"}
          </Button>
        </div>
      </form>
    </>
  );
}
