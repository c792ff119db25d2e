import type { Role } from "@softfleet/db";
import type { Tx } from "../audit";
import { badRequest, isUniqueViolation } from "../errors";
import { assertAnotherActiveAdmin, demotesAdmin } from "./users";

/**
 * Users of single sign-on: linked by (issuer, subject), never by name. A first
 * login creates the user under a free username (an existing local account of
 * the same name is never taken over); later logins take the display name and
 * role from the provider's claims, which are authoritative.
 */
export interface SsoIdentity {
  issuer: string;
  subject: string;
  preferredUsername?: string;
  email?: string;
  name?: string;
}

/** An SSO account has no password: this never verifies (argon2 refuses it as a hash). */
export const SSO_PASSWORD_HASH = "!sso";

export type SsoRefusalReason = "disabled" | "last_admin";

/** A login the rules refuse: the message is for the person signing in. */
export class SsoRefusal extends Error {
  constructor(
    readonly reason: SsoRefusalReason,
    message: string,
    readonly user: { id: string; username: string },
  ) {
    super(message);
  }
}

export interface SsoUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

export interface SsoLink {
  user: SsoUser;
  created: boolean;
  roleChange: { from: Role; to: Role } | null;
}

const select = { id: true, username: true, displayName: true, role: true, disabledAt: true } as const;

/** A username's stem from the claims: lower case, only what usernames allow, room left for a "-N" suffix. */
export function usernameStem(identity: SsoIdentity): string {
  const raw = identity.preferredUsername || identity.email?.split("@")[0] || "sso-user";
  const cleaned = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 56)
    .replace(/[._-]+$/, "");
  return cleaned.length >= 2 ? cleaned : `sso-${cleaned || "user"}`;
}

export function displayNameOf(identity: SsoIdentity, username: string): string {
  const name = [identity.name, identity.preferredUsername, identity.email].find((value) => value?.trim());
  return (name?.trim() || username).slice(0, 100);
}

/** The stem itself if free, else stem-2, stem-3, …: the first name nobody has. */
async function freeUsername(tx: Tx, stem: string): Promise<string> {
  const taken = await tx.user.findMany({
    where: { OR: [{ username: stem }, { username: { startsWith: `${stem}-` } }] },
    select: { username: true },
  });
  const names = new Set(taken.map((user) => user.username));
  let candidate = stem;
  for (let n = 2; names.has(candidate); n++) candidate = `${stem}-${n}`;
  return candidate;
}

/**
 * Finds or creates the user of this identity and gives it `role` and the
 * claims' display name. Refuses (SsoRefusal) a disabled user, and a demotion
 * of the last active admin: the rule of users.ts holds for claims too, so an
 * admin removed from the admin group at the provider cannot sign in until
 * another admin exists (a local break-glass admin counts).
 */
export async function linkSsoUser(tx: Tx, identity: SsoIdentity, role: Role): Promise<SsoLink> {
  const existing = await tx.user.findUnique({
    where: { oidcIssuer_oidcSubject: { oidcIssuer: identity.issuer, oidcSubject: identity.subject } },
    select,
  });
  if (!existing) return createSsoUser(tx, identity, role);
  if (existing.disabledAt) {
    throw new SsoRefusal(
      "disabled",
      `The softfleet account "${existing.username}" is disabled: ask an admin.`,
      existing,
    );
  }
  if (demotesAdmin(existing.role, role)) {
    try {
      await assertAnotherActiveAdmin(tx, existing.id);
    } catch {
      throw new SsoRefusal(
        "last_admin",
        `Your identity provider now makes you ${role === "operator" ? "an" : "a"} ${role}, but you are softfleet's last active admin: another admin must exist first (a local admin can be made with "npm run user").`,
        existing,
      );
    }
  }
  const displayName = displayNameOf(identity, existing.username);
  const user = await tx.user.update({
    where: { id: existing.id },
    data: { role, displayName },
    select: { id: true, username: true, displayName: true, role: true },
  });
  return { user, created: false, roleChange: existing.role === role ? null : { from: existing.role, to: role } };
}

async function createSsoUser(tx: Tx, identity: SsoIdentity, role: Role): Promise<SsoLink> {
  const username = await freeUsername(tx, usernameStem(identity));
  try {
    const user = await tx.user.create({
      data: {
        username,
        displayName: displayNameOf(identity, username),
        role,
        passwordHash: SSO_PASSWORD_HASH,
        oidcIssuer: identity.issuer,
        oidcSubject: identity.subject,
      },
      select: { id: true, username: true, displayName: true, role: true },
    });
    return { user, created: true, roleChange: null };
  } catch (error) {
    // A name taken between the look-up and the insert (or the same subject's login in another tab):
    // the transaction is spoilt, and the caller's retry finds the state as it now is.
    if (isUniqueViolation(error)) throw new SsoLinkRace();
    throw error;
  }
}

/** Two first logins raced: the whole sign-in is tried again once. */
export class SsoLinkRace extends Error {
  constructor() {
    super("another sign-in created this user at the same moment");
  }
}

/** Whether a user signs in only through single sign-on (its password login is refused). */
export function isSsoAccount(user: { oidcSubject: string | null }): boolean {
  return user.oidcSubject !== null;
}

/** Refuses to give a password to an SSO account: its login is the provider's, and the form would refuse it anyway. */
export function assertPasswordAccount(user: { username: string; oidcSubject: string | null }): void {
  if (isSsoAccount(user)) {
    throw badRequest(
      `"${user.username}" signs in with single sign-on and has no password: for break-glass use, create a local account`,
    );
  }
}
