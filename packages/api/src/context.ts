import type { Db, ReportsDb } from "@softfleet/db";
import { authenticateBearer } from "./auth/api-token";
import { type ActiveSession, readCookie, sessionCookieName, validateSessionToken } from "./auth/session";
import type { ChangeFeed } from "./live/feed";

/** What the transport knows about the request: where it came from, how to answer cookies. */
export interface RequestMeta {
  sourceIp: string | null;
  userAgent: string | null;
  /** Whether cookies must be marked Secure (the browser reached us over https). */
  secure: boolean;
  setCookie(cookie: string): void;
  /** Sets a response header (Retry-After on a throttled login). */
  setHeader?(name: string, value: string): void;
  /** How many calls the request batches together (1: not a batch). */
  batchSize?: number;
}

export interface Context {
  db: Db;
  session: ActiveSession | null;
  /** Why the request's API token was refused (unknown, expired, revoked), for the "log in" error to say. */
  authRefusal?: string;
  meta: RequestMeta;
  /** Where live changes come from (the process's LISTEN connection). */
  changeFeed?: ChangeFeed;
  /** Where reports read (a read replica when configured); else `db`. */
  reports?: ReportsDb;
}

export async function createContext(input: {
  db: Db;
  cookieHeader: string | null;
  /** The Authorization header: a personal API token, which wins over any cookie. */
  authorization?: string | null;
  meta: RequestMeta;
  changeFeed?: ChangeFeed;
  reports?: ReportsDb;
}): Promise<Context> {
  const base = { db: input.db, meta: input.meta, changeFeed: input.changeFeed, reports: input.reports };
  if (input.authorization) {
    const bearer = await authenticateBearer(input.db, input.authorization, input.meta);
    return "session" in bearer
      ? { ...base, session: bearer.session }
      : { ...base, session: null, authRefusal: bearer.refusal };
  }
  const token = readCookie(input.cookieHeader, sessionCookieName(input.meta));
  const session = await validateSessionToken(input.db, token);
  return { db: input.db, session, meta: input.meta, changeFeed: input.changeFeed, reports: input.reports };
}
