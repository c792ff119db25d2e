import { z } from "zod";
import { audited } from "../audit";
import { hashPassword } from "../auth/password";
import { assertPasswordAccount } from "../domain/sso-users";
import {
  assertAnotherActiveAdmin,
  assertNotSelf,
  createUser,
  findUserOrThrow,
  setUserRole,
  userSummary,
} from "../domain/users";
import { displayName, id, password, role, username } from "../schemas";
import { adminProcedure, router } from "../trpc";

const target = (user: { id: string; username: string }) => ({ type: "user", id: user.id, name: user.username });

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.db.user.findMany({ select: userSummary, orderBy: { username: "asc" } })),

  create: adminProcedure.input(z.object({ username, displayName, password, role })).mutation(({ ctx, input }) =>
    audited(ctx, "user.created", async (tx) => {
      const user = await createUser(tx, input);
      return { result: user, target: target(user), details: { role: user.role } };
    }),
  ),

  setRole: adminProcedure.input(z.object({ userId: id, role })).mutation(({ ctx, input }) =>
    audited(ctx, "user.role_changed", async (tx) => {
      const user = await findUserOrThrow(tx, input.userId);
      assertNotSelf(ctx.session.user.id, user.id, "change the role of");
      const updated = await setUserRole(tx, user, input.role);
      return { result: updated, target: target(user), details: { from: user.role, to: input.role } };
    }),
  ),

  setDisabled: adminProcedure.input(z.object({ userId: id, disabled: z.boolean() })).mutation(({ ctx, input }) =>
    audited(ctx, input.disabled ? "user.disabled" : "user.enabled", async (tx) => {
      const user = await findUserOrThrow(tx, input.userId);
      assertNotSelf(ctx.session.user.id, user.id, "disable");
      if (input.disabled && user.role === "admin") await assertAnotherActiveAdmin(tx, user.id);
      const updated = await tx.user.update({
        where: { id: user.id },
        data: { disabledAt: input.disabled ? new Date() : null },
        select: userSummary,
      });
      if (input.disabled) await tx.session.deleteMany({ where: { userId: user.id } });
      return { result: updated, target: target(user) };
    }),
  ),

  resetPassword: adminProcedure.input(z.object({ userId: id, password })).mutation(async ({ ctx, input }) => {
    const passwordHash = await hashPassword(input.password);
    return audited(ctx, "user.password_reset", async (tx) => {
      const user = await findUserOrThrow(tx, input.userId);
      assertPasswordAccount(await tx.user.findUniqueOrThrow({ where: { id: user.id } }));
      await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
      await tx.session.deleteMany({ where: { userId: user.id } });
      return { result: { ok: true }, target: target(user) };
    });
  }),

  delete: adminProcedure.input(z.object({ userId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "user.deleted", async (tx) => {
      const user = await findUserOrThrow(tx, input.userId);
      assertNotSelf(ctx.session.user.id, user.id, "delete");
      if (user.role === "admin") await assertAnotherActiveAdmin(tx, user.id);
      await tx.user.delete({ where: { id: user.id } });
      return { result: { ok: true }, target: target(user) };
    }),
  ),
});
