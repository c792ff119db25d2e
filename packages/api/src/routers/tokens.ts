import { z } from "zod";
import { audited } from "../audit";
import { createApiToken, listApiTokens, listLiveApiTokens, MAX_TOKEN_DAYS, revokeApiToken } from "../domain/api-tokens";
import { id, role } from "../schemas";
import { adminProcedure, browserLoginProcedure, router, viewerProcedure } from "../trpc";

/** Personal API tokens, for the CLI and pipelines. Every user manages their own. */
export const tokensRouter = router({
  /** The signed-in user's tokens (never the secret: only its first characters). */
  list: viewerProcedure.query(({ ctx }) => listApiTokens(ctx.db, ctx.session.user.id)),

  /** Every user's live tokens, for an admin finding a leaked one. */
  listAll: adminProcedure.query(({ ctx }) => listLiveApiTokens(ctx.db)),

  /** The token is in the answer once and never again (only its hash is kept). */
  create: browserLoginProcedure
    .input(
      z.object({
        name: z
          .string()
          .trim()
          .min(1, "must not be empty")
          .max(64, "must be at most 64 characters")
          .regex(/^[\w .:@/-]+$/, "may hold letters, digits, spaces and . _ : @ / - only"),
        role,
        expiresInDays: z
          .number()
          .int("must be whole days")
          .min(1, "must be at least 1 day")
          .max(MAX_TOKEN_DAYS, `must be at most ${MAX_TOKEN_DAYS} days`),
      }),
    )
    .mutation(({ ctx, input }) =>
      audited(ctx, "token.created", async (tx) => {
        const { token, row } = await createApiToken(tx, ctx.session.user, input);
        return {
          result: { token, ...row },
          target: { type: "api-token", id: row.id, name: row.name },
          details: { role: row.role, expiresAt: row.expiresAt.toISOString(), prefix: row.prefix },
        };
      }),
    ),

  revoke: viewerProcedure.input(z.object({ id })).mutation(({ ctx, input }) =>
    audited(ctx, "token.revoked", async (tx) => {
      const row = await revokeApiToken(tx, ctx.session.user, input.id);
      return {
        result: { id: row.id, revokedAt: row.revokedAt },
        target: { type: "api-token", id: row.id, name: row.name },
        details: { owner: row.user.username, prefix: row.prefix },
      };
    }),
  ),
});
