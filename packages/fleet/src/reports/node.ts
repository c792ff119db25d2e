import type { Prisma } from "@softfleet/db";
import { whyNoTotal } from "./explain";
import { phaseColumns, type RebootRow, type Sql } from "./sql";

export const NODE_HISTORY_LIMIT = 1000;

export interface NodeHistoryRow extends RebootRow {
  commandId: string | null;
  rolloutId: string | null;
  rolloutGroupName: string | null;
  missingTotal: string | null;
}

/**
 * Every reboot of a node, newest first (up to NODE_HISTORY_LIMIT), with its
 * type, trigger, phases and the rollout that asked for it. Null when the node
 * does not exist.
 */
export async function nodeHistory(db: Sql & Pick<Prisma.TransactionClient, "node">, nodeId: string) {
  const node = await db.node.findUnique({
    where: { id: nodeId },
    select: { id: true, hostname: true, simulated: true, imageVersion: true },
  });
  if (!node) return null;
  const rows = await db.$queryRaw<Array<Omit<NodeHistoryRow, "missingTotal">>>`
    SELECT r.id AS "recordId", r."nodeId", n.hostname, n.simulated, r."recordedAt", r.kind, r.requested, r.escalated,
      r."beforeLost", r.trigger, r."imageVersionBefore", r."imageVersionAfter", r."commandId",
      ro.id AS "rolloutId", ro."groupName" AS "rolloutGroupName", ${phaseColumns}
    FROM "RebootRecord" r JOIN "Node" n ON n.id = r."nodeId"
    LEFT JOIN "RolloutNode" rn ON rn."commandId" = r."commandId"
    LEFT JOIN "Rollout" ro ON ro.id = rn."rolloutId"
    WHERE r."nodeId" = ${nodeId}
    ORDER BY r."recordedAt" DESC, r.id DESC LIMIT ${NODE_HISTORY_LIMIT + 1}`;
  const reboots = rows.slice(0, NODE_HISTORY_LIMIT).map((row) => ({ ...row, missingTotal: whyNoTotal(row) }));
  return { node, reboots, truncated: rows.length > NODE_HISTORY_LIMIT };
}

export type NodeHistory = NonNullable<Awaited<ReturnType<typeof nodeHistory>>>;
