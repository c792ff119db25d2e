import type { Db, Prisma } from "@softfleet/db";
import { hashSecret, secretMatches } from "../credentials";
import { matchClientNode } from "./client-node";
import { FleetLockError, type FleetLockRequest } from "./protocol";
import { decideSlot, type SemaphoreState, semaphoreFullMessage } from "./semaphore";

type Tx = Prisma.TransactionClient;

export interface FleetLockCall {
  /** The secret from the base URL (or a bearer token). */
  secret: string;
  request: FleetLockRequest;
  sourceIp: string | null;
}

export interface SlotAnswer {
  /** pre-reboot: granted now or already held; steady-state: released, or nothing was held. */
  outcome: "granted" | "already-held" | "released" | "not-held";
  holdId: string | null;
  nodeId: string | null;
}

interface LockedGroup {
  groupId: string;
  groupName: string;
  lockGroup: string;
  maxUnavailable: number;
  secretHash: string;
  labelSelector: unknown;
}

/** A client is never waited on for long: a slot is decided in one short transaction. */
const TRANSACTION = { timeout: 10_000, maxWait: 5_000 };

/** pre-reboot: takes a slot of the group the secret opens, or says why not. Changes nothing on refusal. */
export function takeSlot(db: Db, call: FleetLockCall): Promise<SlotAnswer> {
  return db.$transaction(async (tx) => {
    const group = await lockGroupFor(tx, call);
    const clientId = call.request.client_params.id;
    const held = await tx.fleetLockHold.findFirst({ where: { groupId: group.groupId, clientId, releasedAt: null } });
    const state: SemaphoreState = {
      heldByClient: held !== null,
      maxUnavailable: group.maxUnavailable,
      ...(held ? { holders: 0, rebootingByRollout: 0 } : await slotsInUse(tx, group)),
    };
    const decision = decideSlot(state);
    if (decision === "already-held") return { outcome: "already-held", holdId: held!.id, nodeId: held!.nodeId };
    if (decision === "full") throw new FleetLockError("failed_lock_semaphore_full", semaphoreFullMessage(state));
    const node = await nodeNamedBy(tx, group, clientId);
    const hold = await tx.fleetLockHold.create({
      data: { groupId: group.groupId, clientId, nodeId: node?.id ?? null, sourceIp: call.sourceIp },
    });
    await auditSlot(tx, "fleetlock.locked", group, call, hold.nodeId, node?.hostname ?? null, {
      holders: state.holders + 1,
      rebootingByRollout: state.rebootingByRollout,
      maxUnavailable: group.maxUnavailable,
    });
    return { outcome: "granted", holdId: hold.id, nodeId: hold.nodeId };
  }, TRANSACTION);
}

/** steady-state: gives back the client's slot; holding none is a success too (nothing to release). */
export function releaseSlot(db: Db, call: FleetLockCall): Promise<SlotAnswer> {
  return db.$transaction(async (tx) => {
    const group = await lockGroupFor(tx, call);
    const clientId = call.request.client_params.id;
    const held = await tx.fleetLockHold.findFirst({
      where: { groupId: group.groupId, clientId, releasedAt: null },
      include: { node: { select: { hostname: true } } },
    });
    if (!held) return { outcome: "not-held", holdId: null, nodeId: null };
    const releasedAt = new Date();
    await tx.fleetLockHold.update({ where: { id: held.id }, data: { releasedAt, releasedBy: "client" } });
    await auditSlot(tx, "fleetlock.released", group, call, held.nodeId, held.node?.hostname ?? null, {
      lockedAt: held.lockedAt.toISOString(),
      heldMs: releasedAt.getTime() - held.lockedAt.getTime(),
    });
    return { outcome: "released", holdId: held.id, nodeId: held.nodeId };
  }, TRANSACTION);
}

/**
 * The group the secret opens, its row locked for this transaction (so two
 * clients racing for the last slot are decided one after the other). Found by
 * the secret's SHA-256, then compared in constant time.
 */
async function lockGroupFor(tx: Tx, call: FleetLockCall): Promise<LockedGroup> {
  const rows = await tx.$queryRaw<LockedGroup[]>`
    SELECT f."groupId", g.name AS "groupName", f."lockGroup", f."maxUnavailable", f."secretHash", g."labelSelector"
    FROM "FleetLockGroup" f JOIN "NodeGroup" g ON g.id = f."groupId"
    WHERE f."secretHash" = ${hashSecret(call.secret)}
    FOR UPDATE OF f`;
  const group = rows[0];
  if (!group || !secretMatches(call.secret, group.secretHash)) {
    throw new FleetLockError(
      "unauthorized",
      "the secret in this base URL opens no FleetLock group: it is wrong, was rotated, or FleetLock was turned off (see the group's page in softfleet)",
    );
  }
  const asked = call.request.client_params.group;
  if (asked !== group.lockGroup) {
    throw new FleetLockError(
      "unknown_group",
      `unknown group "${asked}": this base URL serves lock group "${group.lockGroup}" (node group "${group.groupName}"); set the client's group to it`,
    );
  }
  return group;
}

/** Slots in use: unreleased holders, and the group's nodes a rollout is rebooting that hold none. */
async function slotsInUse(tx: Tx, group: LockedGroup): Promise<{ holders: number; rebootingByRollout: number }> {
  const [row] = await tx.$queryRaw<Array<{ holders: number; rebooting: number }>>`
    SELECT
      (SELECT count(*)::int FROM "FleetLockHold" WHERE "groupId" = ${group.groupId} AND "releasedAt" IS NULL) AS holders,
      (SELECT count(DISTINCT rn."nodeId")::int FROM "RolloutNode" rn JOIN "Node" n ON n.id = rn."nodeId"
        WHERE rn.active AND rn.status IN ('rebooting', 'rolling-back')
          AND (EXISTS (SELECT 1 FROM "NodeGroupMember" m WHERE m."groupId" = ${group.groupId} AND m."nodeId" = n.id)
               OR (${JSON.stringify(group.labelSelector ?? {})}::jsonb <> '{}'::jsonb
                   AND n.labels @> ${JSON.stringify(group.labelSelector ?? {})}::jsonb))
          AND NOT EXISTS (SELECT 1 FROM "FleetLockHold" h
                          WHERE h."groupId" = ${group.groupId} AND h."releasedAt" IS NULL AND h."nodeId" = n.id)
      ) AS rebooting`;
  return { holders: row?.holders ?? 0, rebootingByRollout: row?.rebooting ?? 0 };
}

/** The node the client id names: looked for among all nodes by id, machine id or hostname, then by Zincati's id among the group's. */
async function nodeNamedBy(tx: Tx, group: LockedGroup, clientId: string) {
  const plain = clientId.toLowerCase().replaceAll("-", "");
  const direct = await tx.node.findMany({
    where: { revokedAt: null, OR: [{ id: clientId }, { machineId: plain }, { hostname: clientId }] },
    select: { id: true, machineId: true, hostname: true },
    take: 10,
  });
  const found = matchClientNode(clientId, direct);
  if (found || !/^[0-9a-f]{32}$/.test(plain)) return found;
  const selector = JSON.stringify(group.labelSelector ?? {});
  const members = await tx.$queryRaw<Array<{ id: string; machineId: string; hostname: string }>>`
    SELECT n.id, n."machineId", n.hostname FROM "Node" n
    WHERE n."revokedAt" IS NULL
      AND (EXISTS (SELECT 1 FROM "NodeGroupMember" m WHERE m."groupId" = ${group.groupId} AND m."nodeId" = n.id)
           OR (${selector}::jsonb <> '{}'::jsonb AND n.labels @> ${selector}::jsonb))
    LIMIT 20000`;
  return matchClientNode(clientId, members);
}

async function auditSlot(
  tx: Tx,
  action: string,
  group: LockedGroup,
  call: FleetLockCall,
  nodeId: string | null,
  hostname: string | null,
  extra: Prisma.InputJsonObject,
) {
  const clientId = call.request.client_params.id;
  await tx.auditEntry.create({
    data: {
      actorType: "system",
      actorName: `fleetlock:${clientId}`,
      action,
      targetType: "group",
      targetId: group.groupId,
      targetName: group.groupName,
      details: { lockGroup: group.lockGroup, clientId, nodeId, hostname, ...extra },
      sourceIp: call.sourceIp,
    },
  });
}

/** A node's FleetLock slot that covers `at` (held then, or released within `graceMs` before it), if any. */
export async function fleetLockHeldAt(tx: Tx, nodeId: string, at: Date, graceMs: number) {
  return tx.fleetLockHold.findFirst({
    where: {
      nodeId,
      lockedAt: { lte: at },
      OR: [{ releasedAt: null }, { releasedAt: { gte: new Date(at.getTime() - graceMs) } }],
    },
    orderBy: { lockedAt: "desc" },
    select: { id: true, groupId: true, clientId: true, lockedAt: true, releasedAt: true },
  });
}
