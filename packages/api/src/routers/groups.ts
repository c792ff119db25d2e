import { z } from "zod";
import { audited } from "../audit";
import { readGroupCandidates, readGroupMembers, readSelectorMatches } from "../domain/group-nodes";
import { assertNodesExist, findGroupOrThrow, withUniqueName } from "../domain/groups";
import { notFound } from "../errors";
import { groupNodesQuery } from "../group-view";
import { groupDescription, groupName, id, labelSelector, nodeIds } from "../schemas";
import { operatorProcedure, router, viewerProcedure } from "../trpc";

const target = (group: { id: string; name: string }) => ({ type: "group", id: group.id, name: group.name });

export const groupsRouter = router({
  list: viewerProcedure.query(({ ctx }) =>
    ctx.db.nodeGroup.findMany({
      orderBy: { name: "asc" },
      include: { _count: { select: { members: true } } },
    }),
  ),

  /** The group and how many static members it has; its members come a page at a time from `members`. */
  get: viewerProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const group = await ctx.db.nodeGroup.findUnique({
      where: { id: input.id },
      include: { _count: { select: { members: true } } },
    });
    if (!group) throw notFound(`Group ${input.id}`);
    const { _count, ...rest } = group;
    return { ...rest, memberCount: _count.members };
  }),

  /** One page of the group's static members by hostname, found by part of it. */
  members: viewerProcedure.input(groupNodesQuery).query(({ ctx, input }) => readGroupMembers(ctx.db, input)),

  /** One page of the nodes that could be added to the group (neither members nor revoked). */
  candidates: viewerProcedure.input(groupNodesQuery).query(({ ctx, input }) => readGroupCandidates(ctx.db, input)),

  /** How many nodes the group's label selector matches now, and the first 20 of them. */
  selectorMatches: viewerProcedure
    .input(z.object({ groupId: id }))
    .query(({ ctx, input }) => readSelectorMatches(ctx.db, input.groupId)),

  create: operatorProcedure
    .input(z.object({ name: groupName, description: groupDescription.default("") }))
    .mutation(({ ctx, input }) =>
      audited(ctx, "group.created", async (tx) => {
        const group = await withUniqueName(input.name, () => tx.nodeGroup.create({ data: input }));
        return { result: group, target: target(group) };
      }),
    ),

  rename: operatorProcedure.input(z.object({ groupId: id, name: groupName })).mutation(({ ctx, input }) =>
    audited(ctx, "group.renamed", async (tx) => {
      const before = await findGroupOrThrow(tx, input.groupId);
      const group = await withUniqueName(input.name, () =>
        tx.nodeGroup.update({ where: { id: before.id }, data: { name: input.name } }),
      );
      return { result: group, target: target(group), details: { from: before.name, to: group.name } };
    }),
  ),

  setDescription: operatorProcedure
    .input(z.object({ groupId: id, description: groupDescription }))
    .mutation(({ ctx, input }) =>
      audited(ctx, "group.described", async (tx) => {
        const before = await findGroupOrThrow(tx, input.groupId);
        const group = await tx.nodeGroup.update({
          where: { id: before.id },
          data: { description: input.description },
        });
        return { result: group, target: target(group) };
      }),
    ),

  delete: operatorProcedure.input(z.object({ groupId: id })).mutation(({ ctx, input }) =>
    audited(ctx, "group.deleted", async (tx) => {
      const group = await findGroupOrThrow(tx, input.groupId);
      const members = await tx.nodeGroupMember.count({ where: { groupId: group.id } });
      await tx.nodeGroup.delete({ where: { id: group.id } });
      return { result: { ok: true }, target: target(group), details: { members } };
    }),
  ),

  addMembers: operatorProcedure.input(z.object({ groupId: id, nodeIds })).mutation(({ ctx, input }) =>
    audited(ctx, "group.members_added", async (tx) => {
      const group = await findGroupOrThrow(tx, input.groupId);
      const ids = await assertNodesExist(tx, input.nodeIds);
      const { count } = await tx.nodeGroupMember.createMany({
        data: ids.map((nodeId) => ({ groupId: group.id, nodeId })),
        skipDuplicates: true,
      });
      return { result: { added: count }, target: target(group), details: { nodeIds: ids, added: count } };
    }),
  ),

  removeMembers: operatorProcedure.input(z.object({ groupId: id, nodeIds })).mutation(({ ctx, input }) =>
    audited(ctx, "group.members_removed", async (tx) => {
      const group = await findGroupOrThrow(tx, input.groupId);
      const { count } = await tx.nodeGroupMember.deleteMany({
        where: { groupId: group.id, nodeId: { in: input.nodeIds } },
      });
      return { result: { removed: count }, target: target(group), details: { nodeIds: input.nodeIds, removed: count } };
    }),
  ),

  /** Nodes whose labels include all these key=value pairs are members too; {} turns selection off. */
  setLabelSelector: operatorProcedure
    .input(z.object({ groupId: id, labelSelector: labelSelector }))
    .mutation(({ ctx, input }) =>
      audited(ctx, "group.selector_set", async (tx) => {
        const before = await findGroupOrThrow(tx, input.groupId);
        const group = await tx.nodeGroup.update({
          where: { id: before.id },
          data: { labelSelector: input.labelSelector },
        });
        return {
          result: group,
          target: target(group),
          details: { from: before.labelSelector, to: input.labelSelector },
        };
      }),
    ),
});
