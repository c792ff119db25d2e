import type { Change, FleetChange } from "@softfleet/fleet";
import { TRPCError } from "@trpc/server";
import type { ChangeFeed } from "./feed";

/**
 * What one page subscribes to. The changes it hears are folded into a
 * pending state that its page defines and that stays bounded whatever
 * arrives (flags, or a capped set of ids), so a browser that reads slowly
 * costs the same memory as one that reads at once. `compute` turns what is
 * pending into the message the page needs, already shaped (rows, counts, the
 * node itself), or null when nothing it shows changed.
 */
export interface Topic<Pending, Out> {
  empty(): Pending;
  /** Folds a change into `pending`; a change that is not about this page leaves it as it is. */
  collect(pending: Pending, change: FleetChange): void;
  /** Whether anything is pending. */
  dirty(pending: Pending): boolean;
  /** The first message (the page's whole state), then what changed in it: null for nothing. */
  compute(pending: Pending | "start"): Promise<Out | null>;
}

export interface LiveStreamOptions {
  signal: AbortSignal;
  /** The shortest time between two messages: bursts coalesce into one (10 per second at most). */
  intervalMs?: number;
  /** A reader that has not taken a message for this long while changes keep coming is dropped. */
  stallMs?: number;
  /** The session's user, whose "sessions changed" signal makes `onUserChanged` run. */
  userId?: string;
  onUserChanged?: () => void;
}

export const LIVE_INTERVAL_MS = 100;
export const LIVE_STALL_MS = 30_000;

/** Ends a stream whose reader stopped reading: the browser subscribes again and starts from a snapshot. */
export class StalledReader extends TRPCError {
  constructor(stallMs: number) {
    super({
      code: "TIMEOUT",
      message: `this page did not read its live stream for ${stallMs / 1000} s; subscribe again to resync`,
    });
  }
}

/**
 * A page's live stream: its whole state first, then at most one message per
 * `intervalMs` with what changed, for as long as the signal lasts. It ends
 * when the feed's LISTEN is lost (the browser subscribes again and resyncs),
 * and with StalledReader when its reader holds a message unread for
 * `stallMs` while more changes come: it then stops listening, and keeps
 * nothing.
 */
export async function* liveStream<P, O>(feed: ChangeFeed, topic: Topic<P, O>, options: LiveStreamOptions) {
  const intervalMs = options.intervalMs ?? LIVE_INTERVAL_MS;
  const stallMs = options.stallMs ?? LIVE_STALL_MS;
  let pending = topic.empty();
  let interrupted = false;
  let stalled = false;
  /** Since when a message waits for the reader (null: the reader is not behind). */
  let unreadSince: number | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    wake?.();
    wake = null;
  };
  let stopped = false;
  let unsubscribe = () => {};
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    poke();
  };
  unsubscribe = await feed.subscribe(
    (change: Change) => {
      if (change.entity === "user") {
        if (change.id === options.userId) options.onUserChanged?.();
        return;
      }
      if (unreadSince !== null && performance.now() - unreadSince > stallMs) {
        stalled = true;
        stop();
        return;
      }
      try {
        topic.collect(pending, change);
      } catch {
        // A topic that cannot fold a change must not take the feed down for every other page.
      }
      if (topic.dirty(pending)) poke();
    },
    () => {
      interrupted = true;
      poke();
    },
  );
  const { signal } = options;
  signal.addEventListener("abort", stop, { once: true });
  // Each wait removes its own abort listener: a stream open for days must not collect them.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  try {
    let next = await topic.compute("start");
    let sentAt = 0;
    /** How long the last compute took: a costly page (a 10,000-node rollout) computes less often. */
    let computeMs = 0;
    for (;;) {
      if (next !== null) {
        unreadSince = performance.now();
        yield next;
        unreadSince = null;
        sentAt = performance.now();
      }
      if (stalled) throw new StalledReader(stallMs);
      if (interrupted || stopped || signal.aborted) return;
      if (!topic.dirty(pending)) await new Promise<void>((resolve) => (wake = resolve));
      if (stalled) throw new StalledReader(stallMs);
      if (interrupted || stopped || signal.aborted) return;
      // At most one message per interval, and a page whose compute is costly spends at most a fifth
      // of the process's time on it: the other pages' streams are not starved by it.
      const wait = sentAt + Math.max(intervalMs, 4 * computeMs) - performance.now();
      if (wait > 0) await sleep(wait);
      if (signal.aborted) return;
      const taken = pending;
      pending = topic.empty();
      const computing = performance.now();
      next = await topic.compute(taken);
      computeMs = performance.now() - computing;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
  }
}
