import type { Prisma } from "@softfleet/db";
import type { WebhookEvent } from "./events";

type Tx = Prisma.TransactionClient;

/** An endpoint this far behind gets no more events until its queue drains: the outbox stays bounded. */
export const MAX_PENDING_PER_ENDPOINT = 10_000;

/**
 * Puts events in the outbox, in the caller's transaction: one delivery per
 * enabled endpoint subscribed to each event's type, in the events' order (an
 * endpoint gets them in that order). `endpointId` limits it to one endpoint
 * whatever its subscriptions (a test event). One statement; with no endpoint it
 * inserts nothing, so the changes that call it pay one round trip.
 */
export async function enqueueWebhookEvents(
  tx: Tx,
  events: readonly WebhookEvent[],
  options: { endpointId?: string; now?: Date } = {},
): Promise<number> {
  if (events.length === 0) return 0;
  const now = (options.now ?? new Date()).toISOString();
  return tx.$executeRaw`
    INSERT INTO "WebhookDelivery" ("endpointId", "eventId", "eventType", payload, "nextAttemptAt", "createdAt")
    SELECT e.id, ev.j->>'id', ev.j->>'type', ev.j, ${now}::timestamp(3), ${now}::timestamp(3)
    FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) WITH ORDINALITY AS ev(j, n)
    JOIN "WebhookEndpoint" e
      ON CASE WHEN ${options.endpointId ?? null}::text IS NULL
              THEN e.enabled AND (ev.j->>'type') = ANY (e.events)
              ELSE e.id = ${options.endpointId ?? null}::text END
    WHERE (SELECT count(*) FROM (
            SELECT 1 FROM "WebhookDelivery" d WHERE d."endpointId" = e.id AND d.status = 'pending'
            LIMIT ${MAX_PENDING_PER_ENDPOINT}) pending) < ${MAX_PENDING_PER_ENDPOINT}
    ORDER BY ev.n, e.id`;
}
