"use client";

import { useTRPC } from "~/trpc/client";
import { type LiveChange, useInvalidateSoon, useLiveChanges } from "~/trpc/live";

/**
 * Keeps one rollout current: the engine announces each step, and its nodes'
 * states, events (reboot records) and commands change what the page shows.
 */
export function useRolloutLive(rolloutId: string, nodeIds: ReadonlySet<string>) {
  const trpc = useTRPC();
  const invalidateSoon = useInvalidateSoon();
  const refresh = () => invalidateSoon(trpc.rollouts.get.queryKey({ id: rolloutId }));
  // The engine takes a new rollout's first steps at once, often before the stream is up.
  return useLiveChanges((change: LiveChange) => {
    if (change.entity === "rollout" && change.id === rolloutId) refresh();
    if (change.entity === "node" && nodeIds.has(change.id)) refresh();
    if (change.entity === "node-event" && nodeIds.has(change.nodeId)) refresh();
    // A stage command's progress and result (the staging bars).
    if (change.entity === "command" && nodeIds.has(change.nodeId)) refresh();
  }, refresh);
}
