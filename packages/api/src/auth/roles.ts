import type { Role } from "@softfleet/db";

/** Viewers read; operators also trigger reboots and rollouts; admins also manage users and enrollment. */
export const ROLES = ["viewer", "operator", "admin"] as const satisfies readonly Role[];

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function hasRole(actual: Role, required: Role): boolean {
  return rank[actual] >= rank[required];
}
