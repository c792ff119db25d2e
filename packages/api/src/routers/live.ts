import type { FleetChange } from "@softfleet/fleet";
import { TRPCError } from "@trpc/server";
import { sessionStillValid } from "../auth/session";
import { router, viewerProcedure } from "../trpc";

/** How often an open stream re-reads its session even without a sign (a sliding session may have lapsed). */
const SESSION_RECHECK_MS = 30_000;

export const liveRouter = router({
  /**
   * Every change in the fleet as it happens (Server-Sent Events), for as long
   * as the session lasts: a logout, a disabled user, a password changed
   * elsewhere or an expiry ends the stream at once.
   */
  changes: viewerProcedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<FleetChange> {
    if (!ctx.changeFeed) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "live changes are not set up" });
    const { id: sessionId, user } = ctx.session;
    const ended = new AbortController();
    let expiryTimer: NodeJS.Timeout | undefined;
    const recheck = async () => {
      const { valid, expiresAt } = await sessionStillValid(ctx.db, sessionId).catch(() => ({
        valid: true,
        expiresAt: null,
      }));
      if (!valid) return ended.abort();
      clearTimeout(expiryTimer);
      const untilExpiry = expiresAt ? expiresAt.getTime() - Date.now() + 50 : SESSION_RECHECK_MS;
      expiryTimer = setTimeout(() => void recheck(), Math.min(Math.max(untilExpiry, 50), SESSION_RECHECK_MS));
    };
    // The context checked the session just now: the stream starts at once (a change made meanwhile
    // would be missed), and this first re-read only sets the timer for its end.
    void recheck();
    const until = signal ? AbortSignal.any([signal, ended.signal]) : ended.signal;
    try {
      for await (const change of ctx.changeFeed.changes(until)) {
        if (change.entity !== "user") {
          yield change;
          continue;
        }
        // A trigger says this user's sessions changed: is this one still good?
        if (change.id === user.id) await recheck();
        if (ended.signal.aborted) return;
      }
    } finally {
      clearTimeout(expiryTimer);
    }
  }),
});
