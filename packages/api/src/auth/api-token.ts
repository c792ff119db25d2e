import { createHash, randomBytes } from "node:crypto";
import type { Db, Role } from "@softfleet/db";
import { hasRole } from "./roles";
import type { ActiveSession } from "./session";

/**
 * Personal API tokens: `sfp_` and 256 random bits, sent as
 * `Authorization: Bearer <token>`. The database keeps only the SHA-256, so a
 * leaked row cannot be replayed. A token acts as its user with the lower of
 * its own role and the user's current one.
 */
export const API_TOKEN_PREFIX = "sfp_";
/** How many characters of a token a list shows, to tell tokens apart. */
const SHOWN_PREFIX = API_TOKEN_PREFIX.length + 6;
/** A token's last use is written at most this often. */
const LAST_USED_EVERY_MS = 60_000;

export function newApiToken(): { token: string; tokenHash: string; prefix: string } {
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: apiTokenHash(token), prefix: token.slice(0, SHOWN_PREFIX) };
}

export function apiTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The lower of two roles: a token never acts above its user, even one demoted since. */
export function effectiveRole(tokenRole: Role, userRole: Role): Role {
  return hasRole(userRole, tokenRole) ? tokenRole : userRole;
}

export type BearerResult = { session: ActiveSession } | { refusal: string };

/**
 * The session an `Authorization` header's token stands for, or why it does
 * not stand for one. Every refusal says what to do: an unknown, expired or
 * revoked token is not quietly treated as no login.
 */
export async function authenticateBearer(
  db: Db,
  header: string,
  meta: { sourceIp: string | null },
  now = Date.now(),
): Promise<BearerResult> {
  const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header.trim());
  if (!match) return { refusal: "The Authorization header must be 'Bearer <API token>'" };
  const token = match[1] as string;
  if (!token.startsWith(API_TOKEN_PREFIX)) {
    return {
      refusal: `That is not a softfleet API token (they start with ${API_TOKEN_PREFIX}); create one in Settings`,
    };
  }
  const row = await db.apiToken.findUnique({
    where: { tokenHash: apiTokenHash(token) },
    include: { user: { select: { id: true, username: true, displayName: true, role: true, disabledAt: true } } },
  });
  if (!row) return { refusal: "Unknown API token: it may have been deleted; create a new one in Settings" };
  const named = `API token "${row.name}"`;
  if (row.revokedAt) return { refusal: `${named} was revoked on ${row.revokedAt.toISOString()}; create a new one` };
  if (row.expiresAt.getTime() <= now) {
    return { refusal: `${named} expired on ${row.expiresAt.toISOString()}; create a new one in Settings` };
  }
  if (row.user.disabledAt) return { refusal: `${named} belongs to a disabled user` };
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
    await db.apiToken.update({
      where: { id: row.id },
      data: { lastUsedAt: new Date(now), lastUsedIp: meta.sourceIp },
    });
  }
  const { disabledAt: _disabled, ...user } = row.user;
  return {
    session: {
      id: `token:${row.id}`,
      expiresAt: row.expiresAt,
      user: { ...user, role: effectiveRole(row.role, user.role) },
      token: { id: row.id, name: row.name },
    },
  };
}

/** Whether a token is still good (not revoked, not expired, its user enabled): for a live stream that must end with it. */
export async function apiTokenStillValid(db: Db, tokenId: string): Promise<{ valid: boolean; expiresAt: Date | null }> {
  const row = await db.apiToken.findUnique({
    where: { id: tokenId },
    select: { expiresAt: true, revokedAt: true, user: { select: { disabledAt: true } } },
  });
  if (!row || row.revokedAt || row.user.disabledAt) return { valid: false, expiresAt: null };
  return { valid: row.expiresAt.getTime() > Date.now(), expiresAt: row.expiresAt };
}
