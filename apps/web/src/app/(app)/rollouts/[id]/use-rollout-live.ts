"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";
import { useLiveStream } from "~/trpc/live";

/**
 * Keeps one rollout's page current: the server streams the rollout as the
 * page shows it whenever it or one of its nodes changes (an engine step, a
 * node's state, a reboot record, a stage command's progress), at most ten
 * times a second, and nothing about other rollouts or nodes.
 */
export function useRolloutLive(rolloutId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useLiveStream(
    trpc.live.rollout.subscriptionOptions(
      { id: rolloutId },
      { onData: (rollout) => queryClient.setQueryData(trpc.rollouts.get.queryKey({ id: rolloutId }), rollout) },
    ),
  );
}
