import type { Db } from "@softfleet/db";
import { type ActiveSession, readCookie, SESSION_COOKIE, validateSessionToken } from "./auth/session";

/** What the transport knows about the request: where it came from, how to answer cookies. */
export interface RequestMeta {
  sourceIp: string | null;
  userAgent: string | null;
  /** Whether cookies must be marked Secure (the browser reached us over https). */
  secure: boolean;
  setCookie(cookie: string): void;
}

export interface Context {
  db: Db;
  session: ActiveSession | null;
  meta: RequestMeta;
}

export async function createContext(input: {
  db: Db;
  cookieHeader: string | null;
  meta: RequestMeta;
}): Promise<Context> {
  const token = readCookie(input.cookieHeader, SESSION_COOKIE);
  const session = await validateSessionToken(input.db, token);
  return { db: input.db, session, meta: input.meta };
}
