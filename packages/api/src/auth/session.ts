import { createHash, randomBytes } from "node:crypto";
import type { Db, Role } from "@softfleet/db";

/**
 * Browser sessions: a random 256-bit token in an http-only cookie; the
 * database keeps only its SHA-256, so a leaked row cannot be replayed.
 * Sessions slide: one used in the second half of its life is extended.
 */
export const SESSION_COOKIE = "softfleet_session";

/**
 * Over https the cookie is `__Host-` prefixed: the browser then takes it only
 * Secure, for the whole site (Path=/) and from this host alone (no Domain), so
 * a sibling subdomain cannot plant or shadow it.
 */
export function sessionCookieName(options: CookieOptions): string {
  return options.secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}
const DEFAULT_TTL_HOURS = 24 * 7;

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

export interface ActiveSession {
  id: string;
  expiresAt: Date;
  user: SessionUser;
  /** Set when a personal API token, not a browser login, authenticated the request. */
  token?: { id: string; name: string };
}

const DEFAULT_MAX_HOURS = 24 * 30;

function hoursFromEnv(name: string, fallback: number): number {
  const hours = Number(process.env[name] ?? fallback);
  return (Number.isFinite(hours) && hours > 0 && hours <= 24 * 366 ? hours : fallback) * 3_600_000;
}

/** How long a session lasts without use (it slides while used). */
export function sessionTtlMs(): number {
  return hoursFromEnv("SESSION_TTL_HOURS", DEFAULT_TTL_HOURS);
}

/** How long a session lasts at most from its login, used or not. */
export function sessionMaxMs(): number {
  return hoursFromEnv("SESSION_MAX_HOURS", DEFAULT_MAX_HOURS);
}

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function sessionIdOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

type SessionWriter = Pick<Db, "session">;

export async function createSession(
  db: SessionWriter,
  userId: string,
  meta: { sourceIp: string | null; userAgent: string | null },
): Promise<{ token: string; expiresAt: Date }> {
  await purgeOccasionally(db);
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + Math.min(sessionTtlMs(), sessionMaxMs()));
  await db.session.create({
    data: {
      id: sessionIdOf(token),
      userId,
      expiresAt,
      sourceIp: meta.sourceIp,
      userAgent: meta.userAgent?.slice(0, 400) ?? null,
    },
  });
  return { token, expiresAt };
}

let lastPurge = 0;
/** At a login, at most once a minute per process: the purge below. */
async function purgeOccasionally(db: SessionWriter) {
  const now = Date.now();
  if (now - lastPurge < 60_000) return;
  lastPurge = now;
  await purgeExpiredSessions(db, now);
}

/** Deletes the sessions past their sliding expiry or their absolute lifetime; returns how many. */
export async function purgeExpiredSessions(db: SessionWriter, now = Date.now()): Promise<number> {
  const { count } = await db.session.deleteMany({
    where: { OR: [{ expiresAt: { lte: new Date(now) } }, { createdAt: { lte: new Date(now - sessionMaxMs()) } }] },
  });
  return count;
}

export async function validateSessionToken(db: Db, token: string | undefined): Promise<ActiveSession | null> {
  if (!token || token.length > 100) return null;
  const id = sessionIdOf(token);
  const row = await db.session.findUnique({
    where: { id },
    include: { user: { select: { id: true, username: true, displayName: true, role: true, disabledAt: true } } },
  });
  if (!row) return null;
  const now = Date.now();
  const endOfLife = row.createdAt.getTime() + sessionMaxMs();
  if (row.expiresAt.getTime() <= now || endOfLife <= now || row.user.disabledAt) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  let expiresAt = row.expiresAt;
  const ttl = sessionTtlMs();
  if (expiresAt.getTime() - now < ttl / 2 && expiresAt.getTime() < endOfLife) {
    // Slides, but never past the session's absolute end.
    expiresAt = new Date(Math.min(now + ttl, endOfLife));
    await db.session.update({ where: { id }, data: { expiresAt, lastSeenAt: new Date(now) } });
  }
  const { disabledAt: _disabled, ...user } = row.user;
  return { id, expiresAt, user };
}

/**
 * Whether a session is still good (exists, within both lifetimes, its user
 * enabled), without sliding it: for a live stream that must end with it.
 */
export async function sessionStillValid(
  db: Db,
  sessionId: string,
): Promise<{ valid: boolean; expiresAt: Date | null }> {
  const row = await db.session.findUnique({
    where: { id: sessionId },
    select: { expiresAt: true, createdAt: true, user: { select: { disabledAt: true } } },
  });
  if (!row || row.user.disabledAt) return { valid: false, expiresAt: null };
  const expiresAt = new Date(Math.min(row.expiresAt.getTime(), row.createdAt.getTime() + sessionMaxMs()));
  return { valid: expiresAt.getTime() > Date.now(), expiresAt };
}

export async function invalidateSession(db: SessionWriter, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

export interface CookieOptions {
  secure: boolean;
}

export function sessionCookie(token: string, expiresAt: Date, options: CookieOptions): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return [
    `${sessionCookieName(options)}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${maxAge}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(options: CookieOptions): string {
  return [
    `${sessionCookieName(options)}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=0",
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

/**
 * Reads one cookie from a Cookie header. A malformed one (a bad escape, odd
 * bytes, too long) is no cookie: the request simply has no session.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header || header.length > 16 * 1024) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
