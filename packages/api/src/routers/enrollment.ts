import { createEnrollmentToken, HOSTNAME_PATTERN, HOSTNAME_PATTERN_RULE } from "@softfleet/fleet";
import { labels } from "@softfleet/protocol";
import { z } from "zod";
import { audited } from "../audit";
import { notFound } from "../errors";
import { id } from "../schemas";
import { adminProcedure, router } from "../trpc";

export const enrollmentRouter = router({
  list: adminProcedure.query(({ ctx }) =>
    ctx.db.enrollmentToken.findMany({
      orderBy: { createdAt: "desc" },
      select: {
        id: true,
        label: true,
        createdAt: true,
        expiresAt: true,
        maxUses: true,
        uses: true,
        revokedAt: true,
        hostnamePattern: true,
        labels: true,
      },
    }),
  ),

  /** How agents reach control: its certificate's SHA-256 fingerprint (null: plain HTTP), for the enrollment command. */
  controlTls: adminProcedure.query(async ({ ctx }) => {
    const row = await ctx.db.controlTls.findUnique({ where: { id: "control" } });
    return { fingerprint: row?.fingerprint ?? null, since: row?.updatedAt ?? null };
  }),

  /** The token is in the answer once and never again (only its hash is kept). */
  create: adminProcedure
    .input(
      z.object({
        label: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
        ttlHours: z
          .number()
          .int("must be whole hours")
          .min(1, "must be at least 1 hour")
          .max(720, "must be at most 720 hours (30 days)"),
        maxUses: z.number().int().min(1, "must be at least 1").max(100_000).nullable(),
        /** Only hostnames matching this glob may enroll with the token. */
        hostnamePattern: z
          .string()
          .trim()
          .regex(HOSTNAME_PATTERN, `must be ${HOSTNAME_PATTERN_RULE}`)
          .nullable()
          .default(null),
        /** Given to every node enrolled with the token; they win over the agent's own labels. */
        labels: z._default(labels, {}),
      }),
    )
    .mutation(({ ctx, input }) =>
      audited(ctx, "enrollment.token_created", async (tx) => {
        const { token, row } = await createEnrollmentToken(tx, { ...input, createdById: ctx.session.user.id });
        return {
          result: { token, id: row.id, expiresAt: row.expiresAt },
          target: { type: "enrollment-token", id: row.id, name: row.label },
          details: {
            ttlHours: input.ttlHours,
            maxUses: input.maxUses,
            hostnamePattern: input.hostnamePattern,
            labels: input.labels,
          },
        };
      }),
    ),

  revoke: adminProcedure.input(z.object({ tokenId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "enrollment.token_revoked", async (tx) => {
      const row = await tx.enrollmentToken.findUnique({ where: { id: input.tokenId } });
      if (!row) throw notFound(`Enrollment token ${input.tokenId}`);
      await tx.enrollmentToken.update({ where: { id: row.id }, data: { revokedAt: row.revokedAt ?? new Date() } });
      return { result: { ok: true }, target: { type: "enrollment-token", id: row.id, name: row.label } };
    }),
  ),
});
