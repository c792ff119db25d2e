"use client";

import { applyRolloutViewDelta, type RolloutViewQuery } from "@softfleet/api/rollout-view";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";
import { useLiveStream } from "~/trpc/live";

/**
 * Keeps one rollout's page current: the server streams the rollout as the
 * page shows it (its counts and the page of nodes it asked for: whole at
 * first, then only its changed nodes, new transitions and moved fields)
 * whenever it or one of its nodes changes: an engine step, a node's state, a
 * reboot record, a stage command's progress. At most ten messages a second,
 * and nothing about other rollouts or nodes.
 */
export function useRolloutLive(query: RolloutViewQuery) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = trpc.rollouts.get.queryKey(query);
  return useLiveStream(
    trpc.live.rollout.subscriptionOptions(query, {
      onData: (message) => {
        if (message.kind === "snapshot") queryClient.setQueryData(key, message.view);
        else queryClient.setQueryData(key, (view) => (view ? applyRolloutViewDelta(view, message.delta) : view));
      },
    }),
  );
}
