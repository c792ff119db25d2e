"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";

export function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
}
