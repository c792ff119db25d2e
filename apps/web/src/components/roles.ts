import type { Role } from "@softfleet/db";

/** Client-safe role check (mirrors @softfleet/api's hasRole, which pulls in server-only code). */
const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function can(actual: Role, required: Role): boolean {
  return rank[actual] >= rank[required];
}

export const ROLE_OPTIONS: readonly Role[] = ["viewer", "operator", "admin"];
