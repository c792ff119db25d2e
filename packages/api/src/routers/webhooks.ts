import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  rotateWebhookSecret,
  sendWebhookTest,
  updateWebhookEndpoint,
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENT_TYPES,
  WebhookError,
  webhookEndpointInput,
  webhookEndpointUpdate,
} from "@softfleet/fleet";
import { z } from "zod";
import { audited } from "../audit";
import { AppError } from "../errors";
import { pageFields } from "../paging";
import { id } from "../schemas";
import { adminProcedure, router } from "../trpc";

const target = (endpoint: { id: string; name: string }) => ({ type: "webhook", id: endpoint.id, name: endpoint.name });

/** The domain's refusals as the API's errors; anything else is a bug and stays one. */
function refused(error: unknown): never {
  if (error instanceof WebhookError) throw new AppError(error.code, error.message);
  throw error;
}

const deliveryId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, "must be a delivery number")
  .transform((text) => BigInt(text));

/** Admins only: endpoints carry their signing secrets, and reach any address control can. */
export const webhooksRouter = router({
  list: adminProcedure.query(async ({ ctx }) => ({
    endpoints: await listWebhookEndpoints(ctx.db),
    eventTypes: WEBHOOK_EVENT_TYPES.map((type) => ({ type, label: WEBHOOK_EVENT_LABELS[type] })),
  })),

  /** The signing secret is in the answer once and never again. */
  create: adminProcedure.input(webhookEndpointInput).mutation(({ ctx, input }) =>
    audited(ctx, "webhook.created", async (tx) => {
      const user = { id: ctx.session.user.id, name: ctx.session.user.username };
      const { endpoint, secret } = await createWebhookEndpoint(tx, input, user).catch(refused);
      return {
        result: { endpoint, secret },
        target: target(endpoint),
        details: { url: endpoint.url, format: endpoint.format, events: endpoint.events },
      };
    }),
  ),

  update: adminProcedure
    .input(z.object({ endpointId: id }).extend(webhookEndpointUpdate.shape))
    .mutation(({ ctx, input }) =>
      audited(ctx, "webhook.updated", async (tx) => {
        const { endpointId, ...update } = input;
        const { before, after } = await updateWebhookEndpoint(tx, endpointId, update).catch(refused);
        const changed = Object.fromEntries(
          (Object.keys(update) as Array<keyof typeof update>)
            .filter((key) => update[key] !== undefined)
            .map((key) => [key, { before: before[key], after: after[key] }]),
        );
        return { result: after, target: target(after), details: changed };
      }),
    ),

  /** A new signing secret, in the answer once; the old one stops signing at once. */
  rotateSecret: adminProcedure.input(z.object({ endpointId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "webhook.secret_rotated", async (tx) => {
      const { endpoint, secret } = await rotateWebhookSecret(tx, input.endpointId).catch(refused);
      return { result: { endpoint, secret }, target: target(endpoint) };
    }),
  ),

  delete: adminProcedure.input(z.object({ endpointId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "webhook.deleted", async (tx) => {
      const endpoint = await deleteWebhookEndpoint(tx, input.endpointId).catch(refused);
      return { result: { ok: true }, target: target(endpoint), details: { url: endpoint.url } };
    }),
  ),

  /** A test event, delivered through the outbox: it shows in the log like any other. */
  sendTest: adminProcedure.input(z.object({ endpointId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "webhook.test_sent", async (tx) => {
      const event = await sendWebhookTest(tx, input.endpointId, ctx.session.user.username).catch(refused);
      const endpoint = event.data as { endpoint: { id: string; name: string } };
      return { result: { eventId: event.id }, target: target(endpoint.endpoint), details: { eventId: event.id } };
    }),
  ),

  /** An endpoint's delivery log, newest first. */
  deliveries: adminProcedure
    .input(z.object({ endpointId: id, ...pageFields([25, 50, 100], 25) }))
    .query(({ ctx, input }) => listDeliveries(ctx.db, input.endpointId, input.page, input.pageSize)),

  /** The same event again, as a new delivery at the end of the endpoint's queue. */
  redeliver: adminProcedure.input(z.object({ deliveryId })).mutation(({ ctx, input }) =>
    audited(ctx, "webhook.redelivered", async (tx) => {
      const { endpoint, delivery } = await redeliverWebhook(tx, input.deliveryId).catch(refused);
      return {
        result: { deliveryId: delivery.id.toString() },
        target: target(endpoint),
        details: { of: input.deliveryId.toString(), deliveryId: delivery.id.toString(), eventId: delivery.eventId },
      };
    }),
  ),
});
