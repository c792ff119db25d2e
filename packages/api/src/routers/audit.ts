import type { Prisma } from "@softfleet/db";
import { z } from "zod";
import { operatorProcedure, router } from "../trpc";

const filters = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(100).optional(),
  target: z.string().trim().max(200).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  /** The id of the last entry of the previous page. */
  cursor: z.string().regex(/^\d+$/, "must be an entry id").optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const auditRouter = router({
  list: operatorProcedure.input(filters).query(async ({ ctx, input }) => {
    const where: Prisma.AuditEntryWhereInput = {
      ...(input.action ? { action: { startsWith: input.action } } : {}),
      ...(input.actor ? { actorName: { contains: input.actor, mode: "insensitive" } } : {}),
      ...(input.target
        ? {
            OR: [{ targetName: { contains: input.target, mode: "insensitive" } }, { targetId: input.target }],
          }
        : {}),
      ...(input.from || input.to ? { at: { gte: input.from, lte: input.to } } : {}),
      ...(input.cursor ? { id: { lt: BigInt(input.cursor) } } : {}),
    };
    const rows = await ctx.db.auditEntry.findMany({ where, orderBy: { id: "desc" }, take: input.limit + 1 });
    const page = rows.slice(0, input.limit);
    return {
      entries: page.map((row) => ({ ...row, id: row.id.toString() })),
      nextCursor: rows.length > input.limit ? page.at(-1)?.id.toString() : undefined,
    };
  }),

  /** Every action that has been recorded, for the filter menu. */
  actions: operatorProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.auditEntry.findMany({
      distinct: ["action"],
      select: { action: true },
      orderBy: { action: "asc" },
    });
    return rows.map((row) => row.action);
  }),
});
