import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { audited, writeAudit } from "../audit";
import { decoyHash, hashPassword, verifyPassword } from "../auth/password";
import { clearedSessionCookie, createSession, invalidateSession, sessionCookie } from "../auth/session";
import { password } from "../schemas";
import { publicProcedure, router, viewerProcedure } from "../trpc";

const WRONG_CREDENTIALS = "Wrong username or password";

export const authRouter = router({
  /** The signed-in user, or null. */
  me: publicProcedure.query(({ ctx }) => ctx.session?.user ?? null),

  login: publicProcedure
    .input(
      z.object({
        username: z.string().trim().toLowerCase().min(1, "enter your username").max(64, "is too long"),
        password: z.string().min(1, "enter your password").max(1024, "is too long"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.db.user.findUnique({ where: { username: input.username } });
      const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password);
      const refusal = !user ? "unknown user" : !valid ? "wrong password" : user.disabledAt ? "account disabled" : null;
      if (!user || refusal) {
        await writeAudit(ctx.db, ctx, "auth.login_failed", {
          target: user ? { type: "user", id: user.id, name: user.username } : undefined,
          details: { username: input.username, reason: refusal ?? "unknown" },
          actor: { type: "system", userId: null, name: input.username },
        });
        const message = refusal === "account disabled" ? "This account is disabled: ask an admin" : WRONG_CREDENTIALS;
        throw new TRPCError({ code: "UNAUTHORIZED", message });
      }
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

  logout: viewerProcedure.mutation(async ({ ctx }) => {
    const { user, id } = ctx.session;
    await audited(ctx, "auth.logout", async (tx) => {
      await invalidateSession(tx, id);
      return { result: null, target: { type: "user", id: user.id, name: user.username } };
    });
    ctx.meta.setCookie(clearedSessionCookie(ctx.meta));
    return { ok: true };
  }),

  changePassword: viewerProcedure
    .input(
      z.object({ currentPassword: z.string().min(1, "enter your current password").max(1024), newPassword: password }),
    )
    .mutation(async ({ ctx, input }) => {
      const { user, id: sessionId } = ctx.session;
      const row = await ctx.db.user.findUniqueOrThrow({ where: { id: user.id } });
      if (!(await verifyPassword(row.passwordHash, input.currentPassword))) {
        throw new TRPCError({ code: "BAD_REQUEST", message: "currentPassword: that is not your current password" });
      }
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
