import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { apiTokenStillValid } from "../auth/api-token";
import { sessionStillValid } from "../auth/session";
import { fleetQuery } from "../fleet-view";
import type { ChangeFeed } from "../live/feed";
import { fleetTopic } from "../live/fleet-topic";
import { nodeTopic, rolloutsTopic, rolloutTopic } from "../live/page-topics";
import { liveStream, type Topic } from "../live/stream";
import { rolloutViewQuery } from "../rollout-view";
import { id } from "../schemas";
import { type AuthedContext, router, viewerProcedure } from "../trpc";

/** How often an open stream re-reads its session even without a sign (a sliding session may have lapsed). */
const SESSION_RECHECK_MS = 30_000;

/**
 * A page's live stream (Server-Sent Events) for as long as the session
 * lasts: a logout, a disabled user, a password changed elsewhere or an
 * expiry ends it at once. The page receives only what it shows, already
 * computed: its state first, then what changed, at most 10 messages a second.
 */
async function* pageStream<P, O>(ctx: AuthedContext, signal: AbortSignal | undefined, topic: Topic<P, O>) {
  const feed: ChangeFeed | undefined = ctx.changeFeed;
  if (!feed) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "live changes are not set up" });
  const { id: sessionId, user, token } = ctx.session;
  // A stream opened with an API token ends with the token (revoked, expired), as one opened in a browser ends with its login.
  const stillValid = () => (token ? apiTokenStillValid(ctx.db, token.id) : sessionStillValid(ctx.db, sessionId));
  const ended = new AbortController();
  let expiryTimer: NodeJS.Timeout | undefined;
  const recheck = async () => {
    const { valid, expiresAt } = await stillValid().catch(() => ({
      valid: true,
      expiresAt: null,
    }));
    if (!valid) return ended.abort();
    clearTimeout(expiryTimer);
    const untilExpiry = expiresAt ? expiresAt.getTime() - Date.now() + 50 : SESSION_RECHECK_MS;
    expiryTimer = setTimeout(() => void recheck(), Math.min(Math.max(untilExpiry, 50), SESSION_RECHECK_MS));
  };
  // The context checked the session just now: the stream starts at once, and this first re-read
  // only sets the timer for its end.
  void recheck();
  const until = signal ? AbortSignal.any([signal, ended.signal]) : ended.signal;
  try {
    // A trigger says this user's sessions changed: is this one still good?
    yield* liveStream(feed, topic, { signal: until, userId: user.id, onUserChanged: () => void recheck() });
  } finally {
    clearTimeout(expiryTimer);
  }
}

export const liveRouter = router({
  /** The fleet page: the rows of its page (filtered, sorted) and the counts; then only what changed in them. */
  fleet: viewerProcedure
    .input(fleetQuery)
    .subscription(({ ctx, input, signal }) => pageStream(ctx, signal, fleetTopic(ctx.db, input))),

  /** A node's page: that node, and when its events or commands move; nothing about other nodes. */
  node: viewerProcedure
    .input(z.object({ id }))
    .subscription(({ ctx, input, signal }) =>
      pageStream(ctx, signal, nodeTopic(ctx.db, input.id, ctx.session.user.role)),
    ),

  /** A rollout's page: that rollout as the page shows it (its page of nodes), when it or one of its nodes changes. */
  rollout: viewerProcedure.input(rolloutViewQuery).subscription(async function* ({ ctx, input, signal }) {
    const nodes = await ctx.db.rolloutNode.findMany({ where: { rolloutId: input.id }, select: { nodeId: true } });
    const topic = rolloutTopic(ctx.db, input, new Set(nodes.map((n) => n.nodeId)));
    yield* pageStream(ctx, signal, topic);
  }),

  /** The rollouts page: the newest rollouts, when one changes. */
  rollouts: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .subscription(({ ctx, input, signal }) => pageStream(ctx, signal, rolloutsTopic(ctx.db, input.limit))),
});
