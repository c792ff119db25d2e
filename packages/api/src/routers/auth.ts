import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audited, writeAudit } from "../audit";
import { decoyHash, hashPassword, verifyPassword } from "../auth/password";
import { clearedSessionCookie, createSession, invalidateSession, sessionCookie } from "../auth/session";
import {
  clearLoginFailures,
  loginBlockedForMs,
  recordLoginFailure,
  type ThrottleKeys,
  usernameDigest,
} from "../auth/throttle";
import type { Context } from "../context";
import { isSsoAccount } from "../domain/sso-users";
import { password } from "../schemas";
import { browserLoginProcedure, loneProcedure, loneViewerProcedure, publicProcedure, router } from "../trpc";

const WRONG_CREDENTIALS = "Wrong username or password";
const SSO_ONLY = "This account signs in with single sign-on: use the sign-in button above the form";

/**
 * 429 with Retry-After while the throttle blocks this username or address.
 * Logins and password changes share it: a stolen session guessing its user's
 * password counts against the same username as guesses at the login form.
 */
async function refuseWhileBlocked(ctx: Context, keys: ThrottleKeys, what: string): Promise<void> {
  const waitMs = await loginBlockedForMs(ctx.db, keys);
  if (waitMs <= 0) return;
  const seconds = Math.ceil(waitMs / 1000);
  ctx.meta.setHeader?.("retry-after", String(seconds));
  throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `${what}: try again in ${seconds} s` });
}

export const authRouter = router({
  /** The signed-in user, or null. */
  me: publicProcedure.query(({ ctx }) => ctx.session?.user ?? null),

  login: loneProcedure
    .input(
      z.object({
        username: z.string().trim().toLowerCase().min(1, "enter your username").max(64, "is too long"),
        password: z.string().min(1, "enter your password").max(1024, "is too long"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const keys = { username: input.username, address: ctx.meta.sourceIp };
      await refuseWhileBlocked(ctx, keys, "Too many failed logins");
      const user = await ctx.db.user.findUnique({ where: { username: input.username } });
      if (user && isSsoAccount(user) && !user.disabledAt) {
        // No password to guess: the account is the identity provider's to authenticate.
        throw new TRPCError({ code: "UNAUTHORIZED", message: SSO_ONLY });
      }
      const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password);
      const refusal = !user ? "unknown user" : !valid ? "wrong password" : user.disabledAt ? "account disabled" : null;
      if (!user || refusal) {
        const { failures, previousWindowFailures } = await recordLoginFailure(ctx.db, keys);
        // One audit entry per username and window; an unknown username is kept only as a digest.
        if (failures === 1) {
          await writeAudit(ctx.db, ctx, "auth.login_failed", {
            target: user ? { type: "user", id: user.id, name: user.username } : undefined,
            details: {
              ...(user ? { username: user.username } : { usernameDigest: usernameDigest(input.username) }),
              reason: refusal ?? "unknown",
              ...(previousWindowFailures ? { failuresInPreviousWindow: previousWindowFailures } : {}),
            },
            actor: { type: "system", userId: null, name: user ? user.username : "unknown user" },
          });
        }
        // A disabled account gets the same answer as a wrong password: nothing tells which accounts exist.
        throw new TRPCError({ code: "UNAUTHORIZED", message: WRONG_CREDENTIALS });
      }
      await clearLoginFailures(ctx.db, input.username);
      const session = await audited(
        ctx,
        "auth.login",
        async (tx) => ({
          result: await createSession(tx, user.id, ctx.meta),
          target: { type: "user", id: user.id, name: user.username },
        }),
        { actor: { type: "user", userId: user.id, name: user.username } },
      );
      ctx.meta.setCookie(sessionCookie(session.token, session.expiresAt, ctx.meta));
      return { username: user.username, displayName: user.displayName, role: user.role };
    }),

  logout: browserLoginProcedure.mutation(async ({ ctx }) => {
    const { user, id } = ctx.session;
    await audited(ctx, "auth.logout", async (tx) => {
      await invalidateSession(tx, id);
      return { result: null, target: { type: "user", id: user.id, name: user.username } };
    });
    ctx.meta.setCookie(clearedSessionCookie(ctx.meta));
    return { ok: true };
  }),

  changePassword: loneViewerProcedure
    .input(
      z.object({ currentPassword: z.string().min(1, "enter your current password").max(1024), newPassword: password }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user, id: sessionId } = ctx.session;
      const keys = { username: user.username, address: ctx.meta.sourceIp };
      await refuseWhileBlocked(ctx, keys, "Too many wrong current passwords");
      const row = await ctx.db.user.findUniqueOrThrow({ where: { id: user.id } });
      if (isSsoAccount(row)) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "Your password is kept by your identity provider: change it there",
        });
      }
      if (!(await verifyPassword(row.passwordHash, input.currentPassword))) {
        const { failures, previousWindowFailures } = await recordLoginFailure(ctx.db, keys);
        if (failures === 1) {
          await writeAudit(ctx.db, ctx, "auth.password_change_failed", {
            target: { type: "user", id: user.id, name: user.username },
            details: {
              reason: "wrong current password",
              ...(previousWindowFailures ? { failuresInPreviousWindow: previousWindowFailures } : {}),
            },
          });
        }
        throw new TRPCError({ code: "BAD_REQUEST", message: "currentPassword: that is not your current password" });
      }
      await clearLoginFailures(ctx.db, user.username);
      const passwordHash = await hashPassword(input.newPassword);
      await audited(ctx, "auth.password_changed", async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
        // Other browsers signed in with the old password are signed out.
        await tx.session.deleteMany({ where: { userId: user.id, id: { not: sessionId } } });
        return { result: null, target: { type: "user", id: user.id, name: user.username } };
      });
      return { ok: true };
    }),
});
