import { TRPCError } from "@trpc/server";
import { router, viewerProcedure } from "../trpc";

export const liveRouter = router({
  /** Every change in the fleet as it happens (Server-Sent Events). */
  changes: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    if (!ctx.changeFeed) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "live changes are not set up" });
    yield* ctx.changeFeed.changes(signal);
  }),
});
