"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";

/** Refetches everything that shows groups: the list, each group, and the fleet's memberships. */
export function useInvalidateGroups() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.groups.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.nodes.pathKey() }),
    ]);
}
