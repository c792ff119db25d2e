import { z } from "zod";
import { notFound } from "../errors";
import { id } from "../schemas";
import { router, viewerProcedure } from "../trpc";

export const nodesRouter = router({
  list: viewerProcedure.query(({ ctx }) =>
    ctx.db.node.findMany({
      orderBy: { hostname: "asc" },
      include: { memberships: { include: { group: { select: { id: true, name: true } } } } },
    }),
  ),

  get: viewerProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const node = await ctx.db.node.findUnique({
      where: { id: input.id },
      include: { memberships: { include: { group: { select: { id: true, name: true } } } } },
    });
    if (!node) throw notFound(`Node ${input.id}`);
    return node;
  }),
});
