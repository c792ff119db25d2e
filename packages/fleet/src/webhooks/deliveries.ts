import type { Db, Prisma } from "@softfleet/db";
import { DEFAULT_RETRY, type RetryPolicy, retryDelayMs } from "./backoff";
import type { WebhookEvent } from "./events";
import { summaryOf, type WebhookFormat } from "./render";

type Tx = Prisma.TransactionClient;

/** A delivery a worker claimed: its event and where it goes. */
export interface ClaimedDelivery {
  id: bigint;
  attempts: number;
  endpointId: string;
  url: string;
  format: WebhookFormat;
  secret: string;
  event: WebhookEvent;
}

const iso = (date: Date) => date.toISOString();

/**
 * Claims up to `limit` due deliveries, each the oldest undelivered one of its
 * (enabled) endpoint: a later delivery of an endpoint waits for the one before
 * it, so an endpoint gets its events in order. Claiming counts the attempt and
 * leases the row until `leaseMs` from now; a worker that dies mid-attempt
 * leaves it to be tried again when the lease ends. SKIP LOCKED: control
 * processes claiming at once never claim the same row.
 */
export async function claimDueDeliveries(
  db: Db | Tx,
  { now = new Date(), limit = 8, leaseMs }: { now?: Date; limit?: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const rows = await db.$queryRaw<
    Array<{
      id: bigint;
      attempts: number;
      endpointId: string;
      url: string;
      format: string;
      secret: string;
      payload: WebhookEvent;
    }>
  >`
    WITH due AS (
      SELECT d.id FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
      WHERE d.status = 'pending' AND e.enabled AND d."nextAttemptAt" <= ${iso(now)}::timestamp(3)
        AND NOT EXISTS (
          SELECT 1 FROM "WebhookDelivery" o WHERE o."endpointId" = d."endpointId" AND o.status = 'pending' AND o.id < d.id)
      ORDER BY d."nextAttemptAt", d.id
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE "WebhookDelivery" d SET attempts = d.attempts + 1, "lastAttemptAt" = ${iso(now)}::timestamp(3),
      "nextAttemptAt" = ${iso(leaseUntil)}::timestamp(3)
    FROM due, "WebhookEndpoint" e
    WHERE d.id = due.id AND e.id = d."endpointId"
    RETURNING d.id, d.attempts, d."endpointId", e.url, e.format, e.secret, d.payload`;
  return rows.map((r) => ({
    id: r.id,
    attempts: r.attempts,
    endpointId: r.endpointId,
    url: r.url,
    format: r.format as WebhookFormat,
    secret: r.secret,
    event: r.payload,
  }));
}

/** How one attempt ended: the receiver's status code (2xx: delivered), or why there was none. */
export type AttemptOutcome = { responseCode: number; error: string | null } | { responseCode: null; error: string };

/**
 * Records an attempt: delivered on a 2xx; otherwise retried after a backoff,
 * or failed after the policy's last attempt. Only the attempt that claimed the
 * row may record it (a worker whose lease ran out and was overtaken changes
 * nothing). Returns the delivery's status, or null when it was overtaken.
 */
export async function recordAttempt(
  db: Db | Tx,
  delivery: Pick<ClaimedDelivery, "id" | "attempts">,
  outcome: AttemptOutcome,
  {
    now = new Date(),
    policy = DEFAULT_RETRY,
    random = Math.random,
  }: { now?: Date; policy?: RetryPolicy; random?: () => number } = {},
): Promise<"succeeded" | "pending" | "failed" | null> {
  const delivered = outcome.responseCode !== null && outcome.responseCode >= 200 && outcome.responseCode < 300;
  const status = delivered ? "succeeded" : delivery.attempts >= policy.maxAttempts ? "failed" : "pending";
  const next = new Date(now.getTime() + (status === "pending" ? retryDelayMs(delivery.attempts, policy, random) : 0));
  const updated = await db.$executeRaw`
    UPDATE "WebhookDelivery" SET status = ${status}, "responseCode" = ${outcome.responseCode}::int,
      "lastError" = ${delivered ? null : outcome.error}, "nextAttemptAt" = ${iso(next)}::timestamp(3),
      "finishedAt" = ${status === "pending" ? null : iso(now)}::timestamp(3)
    WHERE id = ${delivery.id} AND attempts = ${delivery.attempts} AND status = 'pending'`;
  return updated === 1 ? status : null;
}

/** The log's bound: finished deliveries older than this are dropped. */
export const DELIVERY_LOG_DAYS = 30;

export async function pruneDeliveryLog(db: Db | Tx, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - DELIVERY_LOG_DAYS * 86_400_000);
  return db.$executeRaw`
    DELETE FROM "WebhookDelivery" WHERE status <> 'pending' AND "finishedAt" < ${iso(cutoff)}::timestamp(3)`;
}

/** One page of an endpoint's log, newest first. */
export async function listDeliveries(tx: Tx | Db, endpointId: string, page: number, pageSize: number) {
  const [rows, total] = await Promise.all([
    tx.webhookDelivery.findMany({
      where: { endpointId },
      orderBy: { id: "desc" },
      skip: (page - 1) * pageSize,
      take: pageSize,
    }),
    tx.webhookDelivery.count({ where: { endpointId } }),
  ]);
  return {
    total,
    deliveries: rows.map((d) => ({
      id: d.id.toString(),
      eventId: d.eventId,
      eventType: d.eventType,
      summary: summaryOf(d.payload as unknown as WebhookEvent),
      status: d.status as "pending" | "succeeded" | "failed",
      attempts: d.attempts,
      responseCode: d.responseCode,
      lastError: d.lastError,
      createdAt: d.createdAt,
      lastAttemptAt: d.lastAttemptAt,
      nextAttemptAt: d.status === "pending" ? d.nextAttemptAt : null,
      finishedAt: d.finishedAt,
      redeliveryOf: d.redeliveryOf?.toString() ?? null,
    })),
  };
}
