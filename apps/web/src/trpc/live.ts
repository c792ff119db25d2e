"use client";

import { type QueryKey, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef, useState } from "react";

/**
 * connecting: first connection; live: receiving; reconnecting: lost and trying
 * again; failed: gave up; paused: the tab is in the background (its stream
 * given back until it is shown again).
 */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "failed" | "paused";

/**
 * How long a tab in the background keeps its stream: flipping between tabs
 * does not drop and resync it, and a tab left behind gives its connection
 * back. Over plain HTTP/1.1 a browser opens at most six connections to a host,
 * and each live page holds one: without this a seventh tab could not load.
 */
export const HIDDEN_GRACE_MS = 5_000;

/** Whether the tab is shown, or was hidden less than HIDDEN_GRACE_MS ago. */
function useShown(): boolean {
  const [shown, setShown] = useState(true);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      clearTimeout(timer);
      if (document.visibilityState === "hidden") timer = setTimeout(() => setShown(false), HIDDEN_GRACE_MS);
      else setShown(true);
    };
    update();
    document.addEventListener("visibilitychange", update);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", update);
    };
  }, []);
  return shown;
}

/** What useSubscription needs of a page stream's options (trpc.live.<page>.subscriptionOptions(input, ...)). */
type StreamOptions<T, E> = Parameters<typeof useSubscription<T, E>>[0];

/**
 * A page's live stream (Server-Sent Events): the server sends the page's
 * state first, then only what changed in what the page shows, each message
 * already computed; `onData` puts it in place. When the stream ends (the
 * server lost its database connection, the page stopped reading, the session
 * ended), it subscribes again, backing off, and the first message of the new
 * stream brings the page up to date. A tab in the background for a while
 * gives its stream back, and subscribes again (from a snapshot) when shown.
 */
export function useLiveStream<T, E>(options: StreamOptions<T, E>): LiveStatus {
  const [wasLive, setWasLive] = useState(false);
  const shown = useShown();
  const subscription = useSubscription({
    ...options,
    enabled: shown && (options.enabled ?? true),
    onStarted: () => {
      setWasLive(true);
      options.onStarted?.();
    },
  });
  const attempts = useRef(0);
  const { status, reset } = subscription;
  useEffect(() => {
    if (status === "pending" || !shown) attempts.current = 0;
    if (!shown || (status !== "idle" && status !== "error")) return;
    const delay = Math.min(30_000, 1_000 * 2 ** attempts.current++);
    const timer = setTimeout(reset, delay);
    return () => clearTimeout(timer);
  }, [status, reset, shown]);
  if (!shown) return "paused";
  switch (status) {
    case "pending":
      return "live";
    case "error":
      return "failed";
    default:
      return wasLive ? "reconnecting" : "connecting";
  }
}

/**
 * Invalidates queries at once, then at most once per `windowMs` while changes
 * keep coming: the first change of a burst is shown immediately, and a burst
 * (a rollout) becomes one more refetch at its end, not one per change.
 *
 * A refetch under way is never cancelled for a newer change: the key waits
 * until it is done, then refetches. Cancelling (React Query's default) starved
 * a busy page: with changes coming faster than a refetch took (two nodes
 * staging, on a slow machine), each refetch was cancelled by the next one and
 * the page showed nothing new until the changes paused.
 */
export function useInvalidateSoon(windowMs = 150): (queryKey: QueryKey) => void {
  const queryClient = useQueryClient();
  const pending = useRef(new Map<string, QueryKey>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return useCallback(
    (queryKey: QueryKey) => {
      pending.current.set(JSON.stringify(queryKey), queryKey);
      if (timer.current) return;
      const flush = () => {
        let fired = false;
        for (const [id, key] of pending.current) {
          if (queryClient.isFetching({ queryKey: key }) > 0) continue;
          pending.current.delete(id);
          fired = true;
          void queryClient.invalidateQueries({ queryKey: key }, { cancelRefetch: false });
        }
        timer.current = fired || pending.current.size > 0 ? setTimeout(flush, windowMs) : null;
      };
      flush();
    },
    [queryClient, windowMs],
  );
}
