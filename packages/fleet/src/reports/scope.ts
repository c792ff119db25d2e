import { Prisma } from "@softfleet/db";
import type { Sql } from "./sql";

/**
 * Whose figures a kept report fact holds (the scope column of ReportBucket,
 * ReportSpan and ReportSpanValues, migration 20261205040000_report_scopes):
 * '' for the whole fleet; for a group, its id, ':' and the fingerprint of its
 * nodes (md5 of their sorted ids) when the facts were computed. A group whose
 * nodes changed (a member added, a label that now matches) has a new scope:
 * its old facts no longer match, and its report computes (and keeps) them
 * again.
 */
export const FLEET_SCOPE = "";

/**
 * A group's nodes now: static members and the nodes its label selector matches
 * (a GIN index on Node.labels finds those). Every group's, or one group's.
 */
export function groupNodesSql(groupId?: string | null): Prisma.Sql {
  const one = (alias: string) => (groupId ? Prisma.sql`AND ${Prisma.raw(alias)}.id = ${groupId}` : Prisma.empty);
  return Prisma.sql`
    SELECT g.id AS "groupId", g.name AS "groupName", m."nodeId"
    FROM "NodeGroup" g JOIN "NodeGroupMember" m ON m."groupId" = g.id ${one("g")}
    UNION
    SELECT g.id, g.name, n.id
    FROM "NodeGroup" g JOIN "Node" n ON g."labelSelector" <> '{}'::jsonb AND n.labels @> g."labelSelector" ${one("g")}`;
}

/**
 * The scope of a range's facts as one SQL value, read in the statement that
 * uses it: facts kept in the statement that reads their records carry the
 * fingerprint of the very nodes they were computed from.
 */
export function scopeSql(groupId?: string | null): Prisma.Sql {
  if (!groupId) return Prisma.sql`${FLEET_SCOPE}::text`;
  return Prisma.sql`(SELECT ${groupId}::text || ':' || ${fingerprint} FROM (${groupNodesSql(groupId)}) gn)`;
}

/** The fingerprint of a group's nodes: an aggregate over its rows gn of groupNodesSql. */
const fingerprint = Prisma.sql`md5(COALESCE(string_agg(gn."nodeId", ',' ORDER BY gn."nodeId"), ''))`;

/**
 * Every group with nodes: its id, name and scope (as scopeSql gives it), one
 * row each, from `nodes` (rows of groupNodesSql; by default read now).
 */
export function groupScopesSql(nodes: Prisma.Sql = groupNodesSql()): Prisma.Sql {
  return Prisma.sql`
    SELECT gn."groupId", min(gn."groupName") AS "groupName", gn."groupId" || ':' || ${fingerprint} AS scope
    FROM (${nodes}) gn GROUP BY gn."groupId"`;
}

/** The range's scope as the snapshot of `db` sees it. */
export async function scopeOf(db: Sql, groupId?: string | null): Promise<string> {
  if (!groupId) return FLEET_SCOPE;
  const [row] = await db.$queryRaw<[{ scope: string }]>`SELECT ${scopeSql(groupId)} AS scope`;
  return row.scope;
}

/**
 * A condition on a scope column: true for the group's facts of other
 * fingerprints than `scope` (kept before its nodes changed; no report reads
 * them again).
 */
export function staleOf(column: string, groupId: string | null | undefined, scope: Prisma.Sql): Prisma.Sql {
  if (!groupId) return Prisma.sql`false`;
  const c = Prisma.raw(column);
  return Prisma.sql`(left(${c}, ${groupId.length + 1}) = ${`${groupId}:`} AND ${c} <> ${scope})`;
}

/** A condition on a row's "nodeId" (of `alias`): one of the group's nodes now (none: every node). */
export function inGroupOf(groupId: string | null | undefined, alias: string): Prisma.Sql {
  return groupId
    ? Prisma.sql`AND ${Prisma.raw(alias)}."nodeId" IN (SELECT gn."nodeId" FROM (${groupNodesSql(groupId)}) gn)`
    : Prisma.empty;
}
