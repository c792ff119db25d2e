import type { Role } from "@softfleet/db";
import type { Tx } from "../audit";
import { newApiToken } from "../auth/api-token";
import { hasRole } from "../auth/roles";
import { conflict, forbidden, notFound } from "../errors";

/** Tokens a user may hold that are neither revoked nor expired. */
export const MAX_ACTIVE_TOKENS = 25;
export const MAX_TOKEN_DAYS = 366;

export const apiTokenSummary = {
  id: true,
  name: true,
  prefix: true,
  role: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  lastUsedIp: true,
} as const;

interface Owner {
  id: string;
  role: Role;
}

/**
 * Makes a personal API token. The rules: a role up to the user's own, an
 * expiry within a year, a name unique among the user's live tokens, and at
 * most MAX_ACTIVE_TOKENS of them. The token itself is returned this once.
 */
export async function createApiToken(
  tx: Tx,
  owner: Owner,
  input: { name: string; role: Role; expiresInDays: number },
  now = new Date(),
) {
  if (!hasRole(owner.role, input.role)) {
    throw forbidden(`role: a token's role can be at most your own (${owner.role}), not ${input.role}`);
  }
  const live = await tx.apiToken.findMany({
    where: { userId: owner.id, revokedAt: null, expiresAt: { gt: now } },
    select: { name: true },
  });
  if (live.some((token) => token.name === input.name)) {
    throw conflict(`name: you already have a live token named "${input.name}"; revoke it or pick another name`);
  }
  if (live.length >= MAX_ACTIVE_TOKENS) {
    throw conflict(`You have ${live.length} live tokens, the most allowed; revoke one first`);
  }
  const { token, tokenHash, prefix } = newApiToken();
  const row = await tx.apiToken.create({
    data: {
      userId: owner.id,
      name: input.name,
      role: input.role,
      tokenHash,
      prefix,
      expiresAt: new Date(now.getTime() + input.expiresInDays * 86_400_000),
    },
    select: apiTokenSummary,
  });
  return { token, row };
}

/** A user's tokens, newest first, revoked and expired ones included (they show why a pipeline stopped). */
export function listApiTokens(tx: Tx, userId: string) {
  return tx.apiToken.findMany({
    where: { userId },
    orderBy: { createdAt: "desc" },
    take: 200,
    select: apiTokenSummary,
  });
}

/**
 * Revokes one's own token; an admin may revoke anyone's (a leaked token is
 * an emergency). Revoking a revoked token changes nothing and says so.
 */
export async function revokeApiToken(tx: Tx, actor: Owner, tokenId: string, now = new Date()) {
  const row = await tx.apiToken.findUnique({
    where: { id: tokenId },
    select: { ...apiTokenSummary, userId: true, user: { select: { username: true } } },
  });
  if (!row || (row.userId !== actor.id && !hasRole(actor.role, "admin"))) throw notFound(`API token ${tokenId}`);
  if (row.revokedAt) throw conflict(`API token "${row.name}" was already revoked on ${row.revokedAt.toISOString()}`);
  await tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: now } });
  return { ...row, revokedAt: now };
}

/** An admin's view of every user's live tokens, to find and revoke a leaked one. */
export function listLiveApiTokens(tx: Tx, now = new Date()) {
  return tx.apiToken.findMany({
    where: { revokedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
    take: 500,
    select: { ...apiTokenSummary, user: { select: { username: true } } },
  });
}
