import { appRouter, MAX_BATCH_SIZE } from "@softfleet/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { contextFromHeaders } from "~/server/context";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    // A batch is capped, and calls that verify a password refuse to be in one (see loneProcedure).
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ resHeaders, info }) => contextFromHeaders(req.headers, resHeaders, info.calls.length),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[web] tRPC ${path}:`, error);
    },
  });
}

export { handler as GET, handler as POST };
