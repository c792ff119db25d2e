"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ShownOnce } from "~/components/shown-once";
import { Button, Field, FormError, Select, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateWebhooks, type WebhookList } from "./use-webhooks";
import { type EventType, FieldErrors, WebhookEventsField } from "./webhook-events-field";

const empty = { name: "", url: "", format: "json" as "json" | "slack", events: [] as EventType[] };

/** The new endpoint's signing secret, shown this once. */
function CreatedSecret({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  return (
    <ShownOnce
      title={<>Webhook “{name}” added: copy its signing secret now</>}
      intro={
        <>
          It is shown this once. Receivers check the <code className="font-mono">softfleet-signature</code> header with
          it (see the README, “Webhooks”).
        </>
      }
      label="Signing secret"
      value={secret}
      copyLabel="Copy secret"
      onDismiss={onDismiss}
    />
  );
}

export function WebhookForm({ eventTypes }: { eventTypes: WebhookList["eventTypes"] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (result) => {
        setCreated({ name: result.endpoint.name, secret: result.secret });
        setForm(empty);
        await invalidate();
      },
    }),
  );
  const fieldErrors = create.error?.data?.fieldErrors ?? null;
  const errorsOf = (field: string) => fieldErrors?.[field];

  return (
    <>
      {created && (
        <CreatedSecret
          name={created.name}
          secret={created.secret}
          onDismiss={() => {
            setCreated(null);
            create.reset();
          }}
        />
      )}
      <form
        aria-label="Add webhook"
        noValidate
        className="grid max-w-3xl gap-3 sm:grid-cols-[1fr_2fr_auto]"
        onSubmit={(event) => {
          event.preventDefault();
          setCreated(null);
          create.mutate(form);
        }}
      >
        <Field label="Name" htmlFor="webhook-name">
          <TextInput
            id="webhook-name"
            maxLength={100}
            value={form.name}
            aria-invalid={Boolean(errorsOf("name"))}
            aria-describedby="webhook-name-errors"
            onChange={(e) => setForm((prev) => ({ ...prev, name: e.target.value }))}
          />
          <FieldErrors id="webhook-name-errors" messages={errorsOf("name")} />
        </Field>
        <Field label="URL" htmlFor="webhook-url" hint="Where control POSTs each event; redirects are not followed.">
          <TextInput
            id="webhook-url"
            type="url"
            maxLength={2000}
            placeholder="https://hooks.example.com/softfleet"
            value={form.url}
            aria-invalid={Boolean(errorsOf("url"))}
            aria-describedby="webhook-url-errors"
            onChange={(e) => setForm((prev) => ({ ...prev, url: e.target.value }))}
          />
          <FieldErrors id="webhook-url-errors" messages={errorsOf("url")} />
        </Field>
        <Field label="Payload" htmlFor="webhook-format">
          <Select
            id="webhook-format"
            value={form.format}
            onChange={(e) => setForm((prev) => ({ ...prev, format: e.target.value as "json" | "slack" }))}
          >
            <option value="json">JSON (versioned)</option>
            <option value="slack">Slack / Mattermost text</option>
          </Select>
        </Field>
        <WebhookEventsField
          id="webhook-events"
          eventTypes={eventTypes}
          value={form.events}
          onChange={(events) => setForm((prev) => ({ ...prev, events }))}
          errors={errorsOf("events")}
        />
        {create.error && !fieldErrors && (
          <div className="sm:col-span-3">
            <FormError>{errorMessage(create.error)}</FormError>
          </div>
        )}
        <div className="sm:col-span-3">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add webhook"}
          </Button>
        </div>
      </form>
    </>
  );
}
