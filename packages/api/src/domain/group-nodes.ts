import { Prisma } from "@softfleet/db";
import { selectorOf } from "@softfleet/fleet";
import type { Tx } from "../audit";
import type { GroupNodesQuery } from "../group-view";
import { likeEscaped } from "./fleet-page";
import { findGroupOrThrow } from "./groups";

/**
 * A group's nodes at fleet scale, each read a page at a time in Postgres: its
 * static members, the nodes that could be added to it, and the nodes its
 * label selector matches. Nothing here reads every node into memory.
 */

export interface GroupNodeRow {
  id: string;
  hostname: string;
  status: "online" | "offline" | "rebooting" | "unknown";
  imageVersion: string | null;
  simulated: boolean;
  revoked: boolean;
}

const nodeColumns = Prisma.sql`n.id, n.hostname, n.status::text AS status, n."imageVersion", n.simulated,
  n."revokedAt" IS NOT NULL AS revoked`;

const hostnameLike = (q: string | undefined) =>
  q ? Prisma.sql`AND n.hostname ILIKE ${`%${likeEscaped(q)}%`}` : Prisma.empty;

const pageOf = (query: GroupNodesQuery) =>
  Prisma.sql`ORDER BY n.hostname, n.id LIMIT ${query.pageSize} OFFSET ${(query.page - 1) * query.pageSize}`;

/** One page of the group's static members, by hostname, with when each was added and how many match. */
export async function readGroupMembers(db: Tx, query: GroupNodesQuery) {
  const group = await findGroupOrThrow(db, query.groupId);
  const where = Prisma.sql`m."groupId" = ${group.id} ${hostnameLike(query.q)}`;
  const [rows, [count]] = await Promise.all([
    db.$queryRaw<Array<GroupNodeRow & { addedAt: Date }>>`
      SELECT ${nodeColumns}, m."addedAt"
      FROM "NodeGroupMember" m JOIN "Node" n ON n.id = m."nodeId"
      WHERE ${where} ${pageOf(query)}`,
    db.$queryRaw<[{ matching: number }]>`
      SELECT count(*)::int AS matching FROM "NodeGroupMember" m JOIN "Node" n ON n.id = m."nodeId" WHERE ${where}`,
  ]);
  return { rows, matching: count.matching };
}

/**
 * One page of the nodes that could join the group (not members, not revoked),
 * how many match the search, and how many such nodes the fleet has at all.
 */
export async function readGroupCandidates(db: Tx, query: GroupNodesQuery) {
  const group = await findGroupOrThrow(db, query.groupId);
  const candidate = Prisma.sql`n."revokedAt" IS NULL AND NOT EXISTS (
    SELECT 1 FROM "NodeGroupMember" m WHERE m."groupId" = ${group.id} AND m."nodeId" = n.id)`;
  const [rows, [count]] = await Promise.all([
    db.$queryRaw<GroupNodeRow[]>`
      SELECT ${nodeColumns} FROM "Node" n WHERE ${candidate} ${hostnameLike(query.q)} ${pageOf(query)}`,
    db.$queryRaw<[{ matching: number; candidates: number; fleet: number }]>`
      SELECT count(*) FILTER (WHERE ${candidate} ${hostnameLike(query.q)})::int AS matching,
        count(*) FILTER (WHERE ${candidate})::int AS candidates,
        count(*) FILTER (WHERE n."revokedAt" IS NULL)::int AS fleet
      FROM "Node" n`,
  ]);
  return { rows, ...count };
}

/** How many nodes the group's label selector matches now (revoked ones left out), and the first few by hostname. */
export async function readSelectorMatches(db: Tx, groupId: string, first = 20) {
  const group = await findGroupOrThrow(db, groupId);
  const selector = selectorOf(group.labelSelector);
  if (Object.keys(selector).length === 0) return { count: 0, first: [] as Array<{ id: string; hostname: string }> };
  const matches = Prisma.sql`n."revokedAt" IS NULL AND n.labels @> ${JSON.stringify(selector)}::jsonb`;
  const [rows, [count]] = await Promise.all([
    db.$queryRaw<Array<{ id: string; hostname: string }>>`
      SELECT n.id, n.hostname FROM "Node" n WHERE ${matches} ORDER BY n.hostname, n.id LIMIT ${first}`,
    db.$queryRaw<[{ count: number }]>`SELECT count(*)::int AS count FROM "Node" n WHERE ${matches}`,
  ]);
  return { count: count.count, first: rows };
}
