import type { Db } from "@softfleet/db";

const HISTORY = 50;

const holdFields = {
  id: true,
  clientId: true,
  nodeId: true,
  lockedAt: true,
  releasedAt: true,
  releasedBy: true,
  sourceIp: true,
  node: { select: { hostname: true } },
} as const;

/** A group's FleetLock for its page: settings (never the secret), current holders, recent slots. */
export async function readGroupFleetLock(db: Db, groupId: string) {
  const [config, holders, history] = await Promise.all([
    db.fleetLockGroup.findUnique({ where: { groupId } }),
    db.fleetLockHold.findMany({
      where: { groupId, releasedAt: null },
      orderBy: { lockedAt: "asc" },
      select: holdFields,
    }),
    db.fleetLockHold.findMany({
      where: { groupId, releasedAt: { not: null } },
      orderBy: { releasedAt: "desc" },
      take: HISTORY,
      select: holdFields,
    }),
  ]);
  return {
    enabled: Boolean(config?.secretHash),
    lockGroup: config?.lockGroup ?? null,
    maxUnavailable: config?.maxUnavailable ?? 1,
    enabledAt: config?.enabledAt ?? null,
    holders: holders.map(flatten),
    history: history.map(flatten),
  };
}

/** A node's FleetLock slots, newest first: the one it holds now (releasedAt null) and the last ones. */
export async function readNodeFleetLock(db: Db, nodeId: string) {
  const holds = await db.fleetLockHold.findMany({
    where: { nodeId },
    orderBy: { lockedAt: "desc" },
    take: 10,
    select: { ...holdFields, group: { select: { id: true, name: true } } },
  });
  return holds.map(({ group, ...hold }) => ({ ...flatten(hold), groupId: group.id, groupName: group.name }));
}

function flatten<T extends { node: { hostname: string } | null }>({ node, ...hold }: T) {
  return { ...hold, hostname: node?.hostname ?? null };
}
