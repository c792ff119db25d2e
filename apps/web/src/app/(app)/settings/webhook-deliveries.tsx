"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { RelativeTime } from "~/components/time";
import { Button, FormError, tableClass, tdClass, thClass } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateWebhooks, type WebhookDelivery } from "./use-webhooks";

const PAGE_SIZE = 25;

const statusClass: Record<WebhookDelivery["status"], string> = {
  pending: "text-amber-700 dark:text-amber-300",
  succeeded: "text-green-800 dark:text-green-300",
  failed: "text-red-700 dark:text-red-400",
};

function DeliveryRow({ delivery }: { delivery: WebhookDelivery }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateWebhooks();
  const redeliver = useMutation(trpc.webhooks.redeliver.mutationOptions({ onSuccess: () => invalidate() }));
  return (
    <tr>
      <td className={`${tdClass} tabular-nums`}>{delivery.id}</td>
      <td className={tdClass}>
        <div className="font-mono text-xs">{delivery.eventType}</div>
        <div className="text-xs text-zinc-600 dark:text-zinc-400">{delivery.summary}</div>
      </td>
      <td className={`${tdClass} ${statusClass[delivery.status]}`}>
        {delivery.status}
        {delivery.nextAttemptAt && (
          <div className="text-xs text-zinc-500">
            next try <RelativeTime date={delivery.nextAttemptAt} />
          </div>
        )}
      </td>
      <td className={`${tdClass} tabular-nums`}>{delivery.responseCode ?? "—"}</td>
      <td className={`${tdClass} text-right tabular-nums`}>{delivery.attempts}</td>
      <td className={`${tdClass} max-w-xs break-words text-xs`}>{delivery.lastError ?? ""}</td>
      <td className={tdClass}>
        <RelativeTime date={delivery.lastAttemptAt ?? delivery.createdAt} />
      </td>
      <td className={`${tdClass} text-right`}>
        {delivery.status !== "pending" && (
          <Button
            kind="secondary"
            disabled={redeliver.isPending}
            onClick={() => redeliver.mutate({ deliveryId: delivery.id })}
          >
            Redeliver
          </Button>
        )}
        {redeliver.error && <p className="text-xs text-red-700">{errorMessage(redeliver.error)}</p>}
      </td>
    </tr>
  );
}

/** An endpoint's deliveries, newest first, refreshed while any is under way. */
export function WebhookDeliveries({ endpointId, name }: { endpointId: string; name: string }) {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const log = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ endpointId, page, pageSize: PAGE_SIZE }),
    refetchInterval: (query) => (query.state.data?.deliveries.some((d) => d.status === "pending") ? 1_000 : 10_000),
  });
  if (log.isPending) return <p role="status">Loading deliveries…</p>;
  if (log.error) return <FormError>{errorMessage(log.error)}</FormError>;
  const { deliveries, total } = log.data;
  if (total === 0) return <p className="text-zinc-600 dark:text-zinc-400">No deliveries yet.</p>;
  const pages = Math.ceil(total / PAGE_SIZE);
  return (
    <div className="overflow-x-auto">
      <table className={tableClass}>
        <caption className="sr-only">Deliveries to {name}</caption>
        <thead>
          <tr>
            <th className={thClass}>#</th>
            <th className={thClass}>Event</th>
            <th className={thClass}>Status</th>
            <th className={thClass}>Response</th>
            <th className={`${thClass} text-right`}>Attempts</th>
            <th className={thClass}>Last error</th>
            <th className={thClass}>When</th>
            <th className={thClass}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((delivery) => (
            <DeliveryRow key={delivery.id} delivery={delivery} />
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <div className="mt-2 flex items-center gap-2 text-sm">
          <Button kind="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Newer
          </Button>
          <span>
            Page {page} of {pages}
          </span>
          <Button kind="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Older
          </Button>
        </div>
      )}
    </div>
  );
}
