import type { Db } from "@softfleet/db";
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  DEFAULT_RETRY,
  pruneDeliveryLog,
  type RetryPolicy,
  recordAttempt,
} from "@softfleet/fleet";
import { sendDelivery } from "./send";

export interface WebhookWorkerOptions {
  publicUrl?: string | null;
  /** Each attempt's bound (default 10 s). */
  timeoutMs?: number;
  /** How often the outbox is looked at (default 1 s). */
  pollMs?: number;
  /** Attempts under way at once, each of another endpoint (default 8). */
  concurrency?: number;
  retry?: RetryPolicy;
  log?: (line: string) => void;
  /** Each attempt's end: succeeded, retrying or failed. */
  onAttempt?: (outcome: "succeeded" | "retrying" | "failed") => void;
}

export interface WebhookWorker {
  /** Looks at the outbox now (a test's or an enqueue's nudge). */
  wake(): void;
  /** Stops claiming and waits for the attempts under way (each bounded by the timeout). */
  close(): Promise<void>;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Control's delivery of the webhook outbox. State is all in Postgres: any
 * number of control processes run one each, a row claimed by one is skipped
 * by the others (SKIP LOCKED, then a lease), and a process that stops or dies
 * leaves its deliveries to be tried again.
 */
export function startWebhookWorker(db: Db, options: WebhookWorkerOptions = {}): WebhookWorker {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const retry = options.retry ?? DEFAULT_RETRY;
  const log = options.log ?? ((line: string) => console.error(`[webhooks] ${line}`));
  // A claimed attempt that has not been recorded by then (its process died) is tried again.
  const leaseMs = timeoutMs + 30_000;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  /** The claim under way: one at a time, and close() waits for it. */
  let claiming: Promise<unknown> | null = null;
  let again = false;

  const attempt = async (delivery: ClaimedDelivery) => {
    const outcome = await sendDelivery(delivery, { publicUrl: options.publicUrl ?? null, timeoutMs });
    const status = await recordAttempt(db, delivery, outcome, { policy: retry });
    if (status === null) return;
    options.onAttempt?.(status === "pending" ? "retrying" : status);
    if (status !== "succeeded") {
      const next = status === "failed" ? `failed after ${delivery.attempts} attempts` : "will retry";
      log(
        `delivery ${delivery.id} (${delivery.event.type}) to endpoint ${delivery.endpointId}: ${outcome.error}; ${next}`,
      );
    }
  };

  const fill = async (): Promise<void> => {
    if (stopped) return;
    if (claiming) {
      again = true;
      return;
    }
    const room = concurrency - inFlight.size;
    if (room <= 0) return;
    let claimed: ClaimedDelivery[] = [];
    const claim = claimDueDeliveries(db, { limit: room, leaseMs });
    claiming = claim.catch(() => undefined);
    try {
      claimed = await claim;
    } catch (error) {
      log(`reading the webhook outbox failed: ${(error as Error).message}`);
    } finally {
      claiming = null;
    }
    for (const delivery of claimed) {
      const work: Promise<void> = attempt(delivery)
        .catch((error: Error) => log(`delivery ${delivery.id}: recording the attempt failed: ${error.message}`))
        .finally(() => {
          inFlight.delete(work);
          // The endpoint's next delivery may be due now.
          void fill();
        });
      inFlight.add(work);
    }
    if (again) {
      again = false;
      return fill();
    }
  };

  const poller = setInterval(() => void fill(), options.pollMs ?? 1_000);
  poller.unref();
  const prune = () =>
    void pruneDeliveryLog(db).catch((error: Error) => log(`pruning the webhook log failed: ${error.message}`));
  const pruner = setInterval(prune, PRUNE_EVERY_MS);
  pruner.unref();
  void fill();

  return {
    wake: () => void fill(),
    async close() {
      stopped = true;
      clearInterval(poller);
      clearInterval(pruner);
      // A claim under way still starts its attempts: they are awaited too (else they would wait out their lease).
      while (claiming || inFlight.size > 0) await Promise.all([claiming, ...inFlight]);
    },
  };
}
