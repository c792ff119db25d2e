"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { ConfirmButton } from "~/components/confirm-dialog";
import { Button, FormError } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateWebhooks, type WebhookEndpoint, type WebhookList } from "./use-webhooks";
import { WebhookDeliveries } from "./webhook-deliveries";
import { RotateWebhookSecret, WebhookEventsEdit } from "./webhook-endpoint-edit";
import { WebhookForm } from "./webhook-form";

function EndpointCard({ endpoint, eventTypes }: { endpoint: WebhookEndpoint; eventTypes: WebhookList["eventTypes"] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const options = { onSuccess: () => invalidate() };
  const update = useMutation(trpc.webhooks.update.mutationOptions(options));
  const sendTest = useMutation(trpc.webhooks.sendTest.mutationOptions(options));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions(options));
  const error = update.error ?? sendTest.error ?? remove.error;
  return (
    <article
      aria-label={`Webhook ${endpoint.name}`}
      className="rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h4 className="font-semibold">
            {endpoint.name}{" "}
            <span className={endpoint.enabled ? "text-green-800 dark:text-green-300" : "text-zinc-500"}>
              ({endpoint.enabled ? "enabled" : "disabled"})
            </span>
          </h4>
          <p className="break-all font-mono text-xs">{endpoint.url}</p>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            {endpoint.format === "slack" ? "Slack / Mattermost text" : "JSON"} · {endpoint.events.join(", ")}
            {endpoint.pending > 0 && ` · ${endpoint.pending} waiting`}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            kind="secondary"
            disabled={!endpoint.enabled || sendTest.isPending}
            onClick={() => sendTest.mutate({ endpointId: endpoint.id })}
          >
            Send test
          </Button>
          <Button
            kind="secondary"
            disabled={update.isPending}
            onClick={() => update.mutate({ endpointId: endpoint.id, enabled: !endpoint.enabled })}
          >
            {endpoint.enabled ? "Disable" : "Enable"}
          </Button>
          <RotateWebhookSecret endpoint={endpoint} />
          <ConfirmButton
            label="Delete"
            title={`Delete webhook “${endpoint.name}”?`}
            onConfirm={() => remove.mutateAsync({ endpointId: endpoint.id })}
          >
            Its delivery log and any deliveries not yet made are deleted with it.
          </ConfirmButton>
        </div>
      </div>
      {error && (
        <div className="mt-2">
          <FormError>{errorMessage(error)}</FormError>
        </div>
      )}
      {sendTest.isSuccess && (
        <p role="status" className="mt-2 text-sm">
          Test event queued: it shows in the log below.
        </p>
      )}
      <WebhookEventsEdit endpoint={endpoint} eventTypes={eventTypes} />
      <h5 className="mt-3 mb-1 text-sm font-semibold">Delivery log</h5>
      <WebhookDeliveries endpointId={endpoint.id} name={endpoint.name} />
    </article>
  );
}

/** Admins only: the page renders this for admins, and the API refuses everyone else. */
export function WebhooksSection() {
  const trpc = useTRPC();
  const list = useQuery(trpc.webhooks.list.queryOptions());
  return (
    <>
      <p className="mb-4 max-w-prose text-zinc-600 dark:text-zinc-400">
        Control POSTs the events you choose to each endpoint, signed with its secret, in order, and retries a receiver
        that fails with growing waits. Slack and Mattermost incoming webhooks take the text format.
      </p>
      {list.error && <FormError>{errorMessage(list.error)}</FormError>}
      {list.data && <WebhookForm eventTypes={list.data.eventTypes} />}
      <h3 className="mt-6 mb-2 font-semibold">Endpoints</h3>
      {list.isPending && <p role="status">Loading webhooks…</p>}
      {list.data?.endpoints.length === 0 && <p className="text-zinc-600 dark:text-zinc-400">No webhooks yet.</p>}
      <div className="space-y-4">
        {list.data?.endpoints.map((endpoint) => (
          <EndpointCard key={endpoint.id} endpoint={endpoint} eventTypes={list.data.eventTypes} />
        ))}
      </div>
    </>
  );
}
