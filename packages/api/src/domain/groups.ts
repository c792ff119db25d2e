import type { Tx } from "../audit";
import { conflict, isUniqueViolation, notFound } from "../errors";

export async function findGroupOrThrow(tx: Tx, groupId: string) {
  const group = await tx.nodeGroup.findUnique({ where: { id: groupId } });
  if (!group) throw notFound(`Group ${groupId}`);
  return group;
}

/** Runs a write that may hit the unique group name, turning that into a readable conflict. */
export async function withUniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`name: a group called "${name}" already exists`);
    throw error;
  }
}

export async function assertNodesExist(tx: Tx, nodeIds: string[]) {
  const unique = [...new Set(nodeIds)];
  const found = await tx.node.findMany({ where: { id: { in: unique } }, select: { id: true } });
  if (found.length !== unique.length) {
    const known = new Set(found.map((n) => n.id));
    const missing = unique.filter((nodeId) => !known.has(nodeId));
    throw notFound(
      `Node ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`,
    );
  }
  return unique;
}
