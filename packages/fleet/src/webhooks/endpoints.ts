import type { Prisma } from "@softfleet/db";
import { z } from "zod";
import { enqueueWebhookEvents } from "./enqueue";
import { newEvent, TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES, type WebhookEvent } from "./events";
import { WEBHOOK_FORMATS } from "./render";
import { newSigningSecret } from "./signature";

type Tx = Prisma.TransactionClient;

export const MAX_WEBHOOK_ENDPOINTS = 20;

export class WebhookError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "CONFLICT",
    message: string,
  ) {
    super(message);
    this.name = "WebhookError";
  }
}

/** http(s) only, no credentials in it (a Slack URL's secret is its path), at most 2,000 characters. */
export const webhookUrl = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(2000, "must be at most 2000 characters")
  .refine((text) => URL.canParse(text), "must be a full URL such as https://hooks.example.com/softfleet")
  .refine(
    (text) => !URL.canParse(text) || ["http:", "https:"].includes(new URL(text).protocol),
    "must start with http:// or https://",
  )
  .refine((text) => {
    if (!URL.canParse(text)) return true;
    const url = new URL(text);
    return url.username === "" && url.password === "";
  }, "must not hold a user name or password");

export const webhookEvents = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must each be one of ${WEBHOOK_EVENT_TYPES.join(", ")}` }))
  .min(1, "choose at least one event")
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((events) => [...new Set(events)]);

export const webhookEndpointInput = z.object({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  url: webhookUrl,
  format: z.enum(WEBHOOK_FORMATS, { error: "must be json or slack" }).default("json"),
  events: webhookEvents,
});
export type WebhookEndpointInput = z.infer<typeof webhookEndpointInput>;

export const webhookEndpointUpdate = z.object({
  name: webhookEndpointInput.shape.name.optional(),
  events: webhookEvents.optional(),
  enabled: z.boolean().optional(),
});
export type WebhookEndpointUpdate = z.infer<typeof webhookEndpointUpdate>;

/** What the list shows: never the secret. */
const PUBLIC_FIELDS = {
  id: true,
  name: true,
  url: true,
  format: true,
  events: true,
  enabled: true,
  createdByName: true,
  createdAt: true,
  updatedAt: true,
} as const;

export async function listWebhookEndpoints(tx: Tx) {
  const [endpoints, pending] = await Promise.all([
    tx.webhookEndpoint.findMany({ orderBy: { createdAt: "asc" }, select: PUBLIC_FIELDS }),
    tx.webhookDelivery.groupBy({ by: ["endpointId"], where: { status: "pending" }, _count: { _all: true } }),
  ]);
  const pendingOf = new Map(pending.map((p) => [p.endpointId, p._count._all]));
  return endpoints.map((e) => ({ ...e, pending: pendingOf.get(e.id) ?? 0 }));
}

/** A new endpoint and its signing secret: the only time the secret leaves the database. */
export async function createWebhookEndpoint(tx: Tx, input: WebhookEndpointInput, user: { id: string; name: string }) {
  // Counted with the table locked against other writers: two admins adding at once cannot pass the bound together.
  await tx.$executeRaw`LOCK TABLE "WebhookEndpoint" IN SHARE ROW EXCLUSIVE MODE`;
  const count = await tx.webhookEndpoint.count();
  if (count >= MAX_WEBHOOK_ENDPOINTS) {
    throw new WebhookError(
      "CONFLICT",
      `There are already ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints, the most allowed: delete one first`,
    );
  }
  const secret = newSigningSecret();
  const endpoint = await tx.webhookEndpoint.create({
    data: { ...input, secret, createdById: user.id, createdByName: user.name },
    select: PUBLIC_FIELDS,
  });
  return { endpoint, secret };
}

async function endpointOrThrow(tx: Tx, id: string) {
  const endpoint = await tx.webhookEndpoint.findUnique({ where: { id }, select: PUBLIC_FIELDS });
  if (!endpoint) throw new WebhookError("NOT_FOUND", `Webhook endpoint ${id} does not exist`);
  return endpoint;
}

export async function updateWebhookEndpoint(tx: Tx, id: string, update: WebhookEndpointUpdate) {
  const before = await endpointOrThrow(tx, id);
  const after = await tx.webhookEndpoint.update({ where: { id }, data: update, select: PUBLIC_FIELDS });
  return { before, after };
}

/**
 * A new signing secret (a leaked one, a receiver's key rotation): shown this
 * once. Deliveries not yet made are signed with it, since they are signed
 * when sent.
 */
export async function rotateWebhookSecret(tx: Tx, id: string) {
  await endpointOrThrow(tx, id);
  const secret = newSigningSecret();
  const endpoint = await tx.webhookEndpoint.update({ where: { id }, data: { secret }, select: PUBLIC_FIELDS });
  return { endpoint, secret };
}

/** Deletes the endpoint and its log; deliveries not yet made are dropped with it. */
export async function deleteWebhookEndpoint(tx: Tx, id: string) {
  const endpoint = await endpointOrThrow(tx, id);
  await tx.webhookEndpoint.delete({ where: { id } });
  return endpoint;
}

async function enabledEndpoint(tx: Tx, id: string) {
  const endpoint = await endpointOrThrow(tx, id);
  if (!endpoint.enabled)
    throw new WebhookError("CONFLICT", `Webhook endpoint “${endpoint.name}” is disabled: enable it first`);
  return endpoint;
}

/** A test event for one endpoint, through the outbox like any other: it shows in the log. */
export async function sendWebhookTest(tx: Tx, id: string, requestedBy: string): Promise<WebhookEvent> {
  const endpoint = await enabledEndpoint(tx, id);
  const event = newEvent(TEST_EVENT_TYPE, { endpoint: { id: endpoint.id, name: endpoint.name }, requestedBy });
  await enqueueWebhookEvents(tx, [event], { endpointId: endpoint.id });
  return event;
}

/** A new delivery of a finished delivery's event, at the end of its endpoint's queue. */
export async function redeliverWebhook(tx: Tx, deliveryId: bigint) {
  const delivery = await tx.webhookDelivery.findUnique({ where: { id: deliveryId } });
  if (!delivery) throw new WebhookError("NOT_FOUND", `Webhook delivery ${deliveryId} does not exist`);
  const endpoint = await enabledEndpoint(tx, delivery.endpointId);
  if (delivery.status === "pending") {
    throw new WebhookError(
      "CONFLICT",
      `Delivery ${deliveryId} is still being delivered: wait for it to succeed or fail`,
    );
  }
  const copy = await tx.webhookDelivery.create({
    data: {
      endpointId: delivery.endpointId,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      payload: delivery.payload as Prisma.InputJsonValue,
      redeliveryOf: delivery.id,
      createdAt: new Date(),
      nextAttemptAt: new Date(),
    },
  });
  return { endpoint, delivery: copy };
}
