"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "~/components/confirm-dialog";
import { ShownOnce } from "~/components/shown-once";
import { Button, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateWebhooks, type WebhookEndpoint, type WebhookList } from "./use-webhooks";
import { type EventType, WebhookEventsField } from "./webhook-events-field";

/** Changing an endpoint's events. */
export function WebhookEventsEdit({
  endpoint,
  eventTypes,
}: {
  endpoint: WebhookEndpoint;
  eventTypes: WebhookList["eventTypes"];
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const [events, setEvents] = useState<EventType[]>(endpoint.events as EventType[]);
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: () => invalidate() }));
  return (
    <details className="mt-3">
      <summary className="cursor-pointer text-sm font-medium">Change events</summary>
      <form
        aria-label={`Events of webhook ${endpoint.name}`}
        className="mt-2 grid gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({ endpointId: endpoint.id, events });
        }}
      >
        <WebhookEventsField
          id={`webhook-${endpoint.id}-events`}
          eventTypes={eventTypes}
          value={events}
          onChange={setEvents}
          errors={update.error?.data?.fieldErrors?.events}
        />
        {update.error && !update.error.data?.fieldErrors && <FormError>{errorMessage(update.error)}</FormError>}
        {update.isSuccess && <p role="status">Events saved.</p>}
        <div>
          <Button type="submit" kind="secondary" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save events"}
          </Button>
        </div>
      </form>
    </details>
  );
}

/** A new signing secret for an endpoint, shown once. */
export function RotateWebhookSecret({ endpoint }: { endpoint: WebhookEndpoint }) {
  const trpc = useTRPC();
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions());
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <>
      <ConfirmButton
        label="Rotate secret"
        title={`Rotate the signing secret of “${endpoint.name}”?`}
        onConfirm={async () => setSecret((await rotate.mutateAsync({ endpointId: endpoint.id })).secret)}
      >
        Deliveries are signed with the new secret from now on, those waiting too: give it to the receiver first, or let
        it accept both for a while.
      </ConfirmButton>
      {rotate.error && <FormError>{errorMessage(rotate.error)}</FormError>}
      {secret && (
        <div className="mt-3 w-full">
          <ShownOnce
            title={<>New signing secret of “{endpoint.name}”: copy it now</>}
            intro="It is shown this once; the old secret no longer signs anything."
            label="Signing secret"
            value={secret}
            copyLabel="Copy secret"
            onDismiss={() => {
              setSecret(null);
              rotate.reset();
            }}
          />
        </div>
      )}
    </>
  );
}
