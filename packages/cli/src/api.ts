import type { AppRouter } from "@softfleet/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { Credentials } from "./config";
import { CliError } from "./errors";

/** Every call times out: a hung server must not hang a pipeline. */
const CALL_TIMEOUT_MS = 30_000;

export function apiFor(credentials: Credentials) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${credentials.url}/api/trpc`,
        transformer: superjson,
        headers: { authorization: `Bearer ${credentials.token}`, "user-agent": "softfleet-cli" },
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) }),
      }),
    ],
  });
}
export type Api = ReturnType<typeof apiFor>;

/** A request that failed, as one line that says what was wrong. */
export function explain(error: unknown, url: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof TRPCClientError) {
    const cause = (error.cause ?? {}) as { name?: string; cause?: { code?: string; message?: string } };
    if (cause.name === "TimeoutError") return new CliError(`${url} did not answer within ${CALL_TIMEOUT_MS / 1000} s`);
    const code = (error.data as { code?: string } | undefined)?.code;
    if (!code) {
      const reason = cause.cause?.code ?? cause.cause?.message ?? error.message;
      return new CliError(`cannot reach ${url}: ${reason}`);
    }
    return new CliError(
      `${code === "UNAUTHORIZED" ? "not authorized" : code.toLowerCase().replaceAll("_", " ")}: ${error.message}`,
    );
  }
  return new CliError((error as Error).message ?? String(error));
}
