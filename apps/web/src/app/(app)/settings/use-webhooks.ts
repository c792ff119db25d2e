"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";

export type WebhookList = RouterOutputs["webhooks"]["list"];
export type WebhookEndpoint = WebhookList["endpoints"][number];
export type WebhookDelivery = RouterOutputs["webhooks"]["deliveries"]["deliveries"][number];

/** After a change: the endpoints and every delivery log shown. */
export function useInvalidateWebhooks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.pathKey() }),
    ]);
}
