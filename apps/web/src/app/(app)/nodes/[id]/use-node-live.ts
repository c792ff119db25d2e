"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";
import { useInvalidateSoon, useLiveStream } from "~/trpc/live";

/**
 * Keeps one node's page current: the server streams that node itself (and
 * nothing about other nodes), and says when its events or commands moved,
 * whose lists are then read again. Returns the stream's status.
 */
export function useNodeLive(nodeId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invalidateSoon = useInvalidateSoon();
  return useLiveStream(
    trpc.live.node.subscriptionOptions(
      { id: nodeId },
      {
        onData: (message) => {
          if (message.node) queryClient.setQueryData(trpc.nodes.get.queryKey({ id: nodeId }), message.node);
          // Deleted meanwhile: reading it again shows that it is gone.
          else if (message.node === null) invalidateSoon(trpc.nodes.get.queryKey({ id: nodeId }));
          if (message.events) {
            invalidateSoon(trpc.nodes.events.queryKey({ nodeId }));
            // A reboot record arrives as an event.
            invalidateSoon(trpc.nodes.rebootRecords.queryKey({ nodeId }));
            invalidateSoon(trpc.nodes.cycles.queryKey({ nodeId }));
          }
          if (message.commands) invalidateSoon(trpc.nodes.commands.queryKey({ nodeId }));
        },
      },
    ),
  );
}
