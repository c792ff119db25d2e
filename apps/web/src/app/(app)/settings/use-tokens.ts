"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/client";

export type EnrollmentToken = RouterOutputs["enrollment"]["list"][number];
export type TokenStatus = "active" | "expired" | "revoked" | "used up";

export function tokenStatus(token: EnrollmentToken, now: number): TokenStatus {
  if (token.revokedAt) return "revoked";
  if (token.maxUses !== null && token.uses >= token.maxUses) return "used up";
  if (token.expiresAt.getTime() <= now) return "expired";
  return "active";
}

export function useInvalidateTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.enrollment.list.queryKey() });
}
