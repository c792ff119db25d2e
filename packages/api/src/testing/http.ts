import type { Db, Role } from "@softfleet/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { createContext } from "../context";
import { createUser } from "../domain/users";
import { appRouter } from "../root";

export interface CallResult {
  status: number;
  data: unknown;
  error?: { message: string; data: { code: string; path: string; fieldErrors: Record<string, string[]> | null } };
  setCookies: string[];
}

export type ProcedureType = "query" | "mutation" | "subscription";

/** Every procedure of the router, by dotted path. */
export function procedures(): Array<{ path: string; type: ProcedureType }> {
  // At run time tRPC keeps a flat record of every procedure by dotted path.
  const all = appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType } }>;
  return Object.entries(all).map(([path, procedure]) => ({ path, type: procedure._def.type }));
}

/**
 * Calls the API the way the web app's route handler does: a real HTTP
 * request through tRPC's fetch adapter, cookies and all.
 */
export function apiClient(db: Db) {
  const types = new Map(procedures().map((p) => [p.path, p.type]));
  async function call(
    path: string,
    input?: unknown,
    options: { cookie?: string; ip?: string } = {},
  ): Promise<CallResult> {
    const type = types.get(path);
    if (!type || type === "subscription") throw new Error(`no query or mutation ${path}`);
    const url = new URL(`http://softfleet.test/api/trpc/${path}`);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.cookie) headers.cookie = options.cookie;
    const init: RequestInit = { method: type === "query" ? "GET" : "POST", headers };
    if (type === "query") {
      if (input !== undefined) url.searchParams.set("input", JSON.stringify(superjson.serialize(input)));
    } else {
      init.body = JSON.stringify(superjson.serialize(input));
    }
    const req = new Request(url, init);
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: ({ resHeaders }) =>
        createContext({
          db,
          cookieHeader: req.headers.get("cookie"),
          meta: {
            sourceIp: options.ip ?? "192.0.2.10",
            userAgent: "vitest",
            secure: false,
            setCookie: (cookie) => resHeaders.append("set-cookie", cookie),
          },
        }),
    });
    const body = (await response.json()) as { result?: { data: never }; error?: { json: CallResult["error"] } };
    return {
      status: response.status,
      data: body.result ? superjson.deserialize(body.result.data) : undefined,
      error: body.error?.json,
      setCookies: response.headers.getSetCookie(),
    };
  }

  async function login(username: string, password: string): Promise<string> {
    const result = await call("auth.login", { username, password });
    const cookie = result.setCookies[0]?.split(";")[0];
    if (!cookie) throw new Error(`login of ${username} failed: ${result.error?.message}`);
    return cookie;
  }

  return { call, login };
}

export const TEST_PASSWORD = "correct horse battery";

/** A user with the given role and a session cookie for it. */
export async function signedInUser(db: Db, role: Role, username = `${role}-${Math.random().toString(36).slice(2, 8)}`) {
  const user = await db.$transaction((tx) =>
    createUser(tx, { username, displayName: `Test ${role}`, password: TEST_PASSWORD, role }),
  );
  const cookie = await apiClient(db).login(username, TEST_PASSWORD);
  return { user, cookie };
}
