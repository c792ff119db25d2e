"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { CreatedToken } from "./created-token";
import { useInvalidateTokens } from "./use-tokens";

const empty = { label: "", ttlHours: "24", maxUses: "", hostnamePattern: "", labels: "" };

/** "key=value, key2=value2" as labels; the server validates keys and values. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf("=");
    labels[(eq < 0 ? pair : pair.slice(0, eq)).trim()] = eq < 0 ? "" : pair.slice(eq + 1).trim();
  }
  return labels;
}

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
            hostnamePattern: form.hostnamePattern.trim() === "" ? null : form.hostnamePattern.trim(),
            labels: parseLabels(form.labels),
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
        <Field
          label="Hostnames allowed"
          htmlFor="token-hostname-pattern"
          hint="Optional. A pattern such as web-*.example.com (* is any run of characters)."
        >
          <TextInput
            id="token-hostname-pattern"
            maxLength={253}
            value={form.hostnamePattern}
            onChange={set("hostnamePattern")}
          />
        </Field>
        <Field
          label="Labels"
          htmlFor="token-labels"
          hint="Optional. key=value, comma-separated; given to every node enrolled with it, over the agent's own."
        >
          <TextInput id="token-labels" maxLength={2000} value={form.labels} onChange={set("labels")} />
        </Field>
        <div />
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
