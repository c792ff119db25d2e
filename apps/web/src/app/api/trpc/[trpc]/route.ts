import { appRouter } from "@softfleet/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { contextFromHeaders } from "~/server/context";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => contextFromHeaders(req.headers, resHeaders),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[web] tRPC ${path}:`, error);
    },
  });
}

export { handler as GET, handler as POST };
