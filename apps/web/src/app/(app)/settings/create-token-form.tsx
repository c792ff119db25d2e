"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { CreatedToken } from "./created-token";
import { useInvalidateTokens } from "./use-tokens";

const empty = { label: "", ttlHours: "24", maxUses: "" };

export function CreateTokenForm() {
  const trpc = useTRPC();
  const invalidate = useInvalidateTokens();
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<{ token: string; label: string } | null>(null);
  const create = useMutation(
    trpc.enrollment.create.mutationOptions({
      onSuccess: async (result, input) => {
        setCreated({ token: result.token, label: input.label });
        setForm(empty);
        await invalidate();
      },
    }),
  );
  const set = (key: keyof typeof empty) => (e: { target: { value: string } }) =>
    setForm((prev) => ({ ...prev, [key]: e.target.value }));

  return (
    <>
      {created && (
        <CreatedToken
          token={created.token}
          label={created.label}
          onDismiss={() => {
            setCreated(null);
            create.reset();
          }}
        />
      )}
      <form
        aria-label="Create enrollment token"
        className="grid max-w-3xl gap-3 sm:grid-cols-[2fr_1fr_1fr]"
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate({
            label: form.label,
            ttlHours: Number(form.ttlHours),
            maxUses: form.maxUses.trim() === "" ? null : Number(form.maxUses),
          });
        }}
      >
        <Field label="Label" htmlFor="token-label" hint="Where it will be used, e.g. “rack 4 hosts”.">
          <TextInput id="token-label" required maxLength={100} value={form.label} onChange={set("label")} />
        </Field>
        <Field label="Valid for (hours)" htmlFor="token-ttl" hint="1 to 720 (30 days).">
          <TextInput
            id="token-ttl"
            type="number"
            required
            min={1}
            max={720}
            step={1}
            value={form.ttlHours}
            onChange={set("ttlHours")}
          />
        </Field>
        <Field label="Max uses" htmlFor="token-max-uses" hint="Empty: any number of hosts.">
          <TextInput
            id="token-max-uses"
            type="number"
            min={1}
            max={100000}
            step={1}
            value={form.maxUses}
            onChange={set("maxUses")}
          />
        </Field>
        {create.error && (
          <div className="sm:col-span-3">
            <FormError>{errorMessage(create.error)}</FormError>
          </div>
        )}
        <div className="sm:col-span-3">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </Button>
        </div>
      </form>
    </>
  );
}
