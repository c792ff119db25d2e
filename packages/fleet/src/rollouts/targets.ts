import type { Prisma } from "@softfleet/db";
import type { NodeFacts } from "@softfleet/rollout";
import { factsOf } from "./facts";

type Tx = Prisma.TransactionClient;

export interface TargetNode {
  nodeId: string;
  hostname: string;
  simulated: boolean;
  facts: NodeFacts;
}

/** A label selector: every key=value must be among the node's labels. Empty selects nothing. */
export function selectorOf(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

/**
 * The nodes a rollout of the group would reboot: its static members and the
 * nodes its label selector matches, revoked nodes left out, sorted by
 * hostname (the order of the batches).
 */
export async function groupTargets(tx: Tx, groupId: string): Promise<{ name: string; nodes: TargetNode[] } | null> {
  const group = await tx.nodeGroup.findUnique({ where: { id: groupId } });
  if (!group) return null;
  const selector = selectorOf(group.labelSelector);
  const bySelector = Object.keys(selector).length > 0;
  const rows = await tx.node.findMany({
    where: {
      revokedAt: null,
      OR: [{ memberships: { some: { groupId } } }, ...(bySelector ? [{ AND: selectorFilters(selector) }] : [])],
    },
    orderBy: [{ hostname: "asc" }, { id: "asc" }],
  });
  return {
    name: group.name,
    nodes: rows.map((n) => ({
      nodeId: n.id,
      hostname: n.hostname,
      simulated: n.simulated,
      facts: factsOf({ ...n, nodeStatus: n.status }),
    })),
  };
}

function selectorFilters(selector: Record<string, string>): Prisma.NodeWhereInput[] {
  return Object.entries(selector).map(([key, value]) => ({ labels: { path: [key], equals: value } }));
}
