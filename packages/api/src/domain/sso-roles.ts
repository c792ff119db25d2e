import type { Role } from "@softfleet/db";
import { ROLES } from "../auth/roles";

/**
 * Roles from the identity provider's claim: OIDC_ROLE_MAP is a list of
 * `value=role` rules (`softfleet-admins=admin,softfleet-ops=operator,*=viewer`).
 * Every rule whose value the claim holds matches, `*` matches anyone signed in
 * at the provider, and the highest matching role wins. No match: no login.
 */
export interface RoleRule {
  /** A value of the role claim, or "*" for anyone. */
  value: string;
  role: Role;
}

export class RoleMapError extends Error {}

const MAX_RULES = 50;
const MAX_VALUE_LENGTH = 256;

/** Parses OIDC_ROLE_MAP; throws RoleMapError naming the bad rule. */
export function parseRoleMap(text: string): RoleRule[] {
  const parts = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new RoleMapError("must hold at least one rule value=role (e.g. softfleet-ops=operator)");
  if (parts.length > MAX_RULES) throw new RoleMapError(`must hold at most ${MAX_RULES} rules`);
  return parts.map((part) => {
    // The last '=' splits: a group's name may hold one (a role never does).
    const eq = part.lastIndexOf("=");
    const value = eq > 0 ? part.slice(0, eq).trim() : "";
    const role = eq > 0 ? part.slice(eq + 1).trim() : "";
    if (!value) throw new RoleMapError(`rule "${part}" must be value=role (e.g. softfleet-ops=operator)`);
    if (value.length > MAX_VALUE_LENGTH) throw new RoleMapError(`rule "${part.slice(0, 40)}…" has too long a value`);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new RoleMapError(`rule "${part}": the role must be one of ${ROLES.join(", ")}`);
    }
    return { value, role: role as Role };
  });
}

/** At most this many claim values are read, each cut to MAX_VALUE_LENGTH: the token is the provider's to fill. */
const MAX_CLAIM_VALUES = 500;

/**
 * The role claim's values: a string, an array of strings, or absent. The
 * claim may be a dotted path into nested claims (Keycloak's `realm_access.roles`).
 */
export function claimValues(claims: Record<string, unknown>, claimPath: string): string[] {
  let value: unknown = claimPath in claims ? claims[claimPath] : undefined;
  if (value === undefined && claimPath.includes(".")) {
    value = claimPath.split(".").reduce<unknown>((node, key) => {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
      return Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    }, claims);
  }
  const list = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  return list
    .slice(0, MAX_CLAIM_VALUES)
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.slice(0, MAX_VALUE_LENGTH));
}

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export type RoleDecision = { role: Role; matched: string[] } | { role: null; seen: string[] };

/** The highest role whose rule matches one of the values (or "*"); null when none does. */
export function mapRole(rules: RoleRule[], values: string[]): RoleDecision {
  const held = new Set(values);
  const matches = rules.filter((rule) => rule.value === "*" || held.has(rule.value));
  if (matches.length === 0) return { role: null, seen: values };
  const best = matches.reduce((a, b) => (rank[b.role] > rank[a.role] ? b : a));
  return { role: best.role, matched: matches.filter((rule) => rule.role === best.role).map((rule) => rule.value) };
}

/** What a refused login tells the user: the claim, and (some of) the values it held. */
export function noRoleMessage(claimPath: string, seen: string[]): string {
  if (seen.length === 0) {
    return `Your account has no role in softfleet: the sign-in carried no "${claimPath}" values. Ask an admin to add you to a group that OIDC_ROLE_MAP maps.`;
  }
  const shown = seen.slice(0, 10).map((value) => `"${value.slice(0, 64)}"`);
  const more = seen.length > shown.length ? ` and ${seen.length - shown.length} more` : "";
  return `Your account has no role in softfleet: its "${claimPath}" claim holds ${shown.join(", ")}${more}, and OIDC_ROLE_MAP maps none of them. Ask an admin to add you to a mapped group.`;
}
