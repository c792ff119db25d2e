import type { Db, ReportsDb, Role } from "@softfleet/db";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { createContext } from "../context";
import { createUser } from "../domain/users";
import { MAX_BATCH_SIZE } from "../limits";
import { appRouter } from "../root";

export interface CallResult {
  status: number;
  data: unknown;
  error?: { message: string; data: { code: string; path: string; fieldErrors: Record<string, string[]> | null } };
  setCookies: string[];
  retryAfter?: string | null;
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
export function apiClient(db: Db, options: { reports?: ReportsDb } = {}) {
  const types = new Map(procedures().map((p) => [p.path, p.type]));
  async function call(
    path: string,
    input?: unknown,
    /** secure: the browser came over https (the cookie is then __Host- prefixed). */
    options: { cookie?: string; ip?: string; secure?: boolean; bearer?: string } = {},
  ): Promise<CallResult> {
    const type = types.get(path);
    if (!type || type === "subscription") throw new Error(`no query or mutation ${path}`);
    const url = new URL(`http://softfleet.test/api/trpc/${path}`);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.cookie) headers.cookie = options.cookie;
    if (options.bearer)
      headers.authorization = options.bearer.includes(" ") ? options.bearer : `Bearer ${options.bearer}`;
    const init: RequestInit = { method: type === "query" ? "GET" : "POST", headers };
    if (type === "query") {
      if (input !== undefined) url.searchParams.set("input", JSON.stringify(superjson.serialize(input)));
    } else {
      init.body = JSON.stringify(superjson.serialize(input));
    }
    const response = await handle(new Request(url, init), options.ip, options.secure);
    const body = (await response.json()) as { result?: { data: never }; error?: { json: CallResult["error"] } };
    return {
      status: response.status,
      data: body.result ? superjson.deserialize(body.result.data) : undefined,
      error: body.error?.json,
      setCookies: response.headers.getSetCookie(),
      retryAfter: response.headers.get("retry-after"),
    };
  }

  /** As the web app's route handler does (apps/web/src/app/api/trpc). */
  function handle(req: Request, ip = "192.0.2.10", secure = false) {
    return fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ resHeaders, info }) =>
        createContext({
          db,
          reports: options.reports,
          cookieHeader: req.headers.get("cookie"),
          authorization: req.headers.get("authorization"),
          meta: {
            sourceIp: ip,
            userAgent: "vitest",
            secure,
            setCookie: (cookie) => resHeaders.append("set-cookie", cookie),
            setHeader: (name, value) => resHeaders.set(name, value),
            batchSize: info.calls.length,
          },
        }),
    });
  }

  /** One batched request (GET for queries, POST for mutations): the HTTP status and each call's error (or null). */
  async function batch(calls: Array<{ path: string; input: unknown }>, options: { ip?: string } = {}) {
    const url = new URL(`http://softfleet.test/api/trpc/${calls.map((c) => c.path).join(",")}?batch=1`);
    const inputs = JSON.stringify(Object.fromEntries(calls.map((c, i) => [i, superjson.serialize(c.input)])));
    const queries = calls.every((c) => types.get(c.path) === "query");
    if (queries) url.searchParams.set("input", inputs);
    const init: RequestInit = queries
      ? { method: "GET" }
      : { method: "POST", headers: { "content-type": "application/json" }, body: inputs };
    const response = await handle(new Request(url, init), options.ip);
    const json = (await response.json()) as unknown;
    const results = Array.isArray(json) ? json : [json];
    return {
      status: response.status,
      errors: results.map((r: { error?: { json: { message: string } } }) => r.error?.json.message ?? null),
    };
  }

  async function login(username: string, password: string): Promise<string> {
    const result = await call("auth.login", { username, password });
    const cookie = result.setCookies[0]?.split(";")[0];
    if (!cookie) throw new Error(`login of ${username} failed: ${result.error?.message}`);
    return cookie;
  }

  return { call, login, batch };
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
