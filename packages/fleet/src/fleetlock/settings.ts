import type { Prisma } from "@softfleet/db";
import { hashSecret, newSecret } from "../credentials";
import { LOCK_GROUP_PATTERN } from "./protocol";

type Tx = Prisma.TransactionClient;

export const MAX_UNAVAILABLE_LIMIT = 1000;

export type FleetLockSettingsErrorCode =
  | "group-not-found"
  | "lock-group-taken"
  | "not-enabled"
  | "invalid"
  | "hold-not-found"
  | "already-released";

export class FleetLockSettingsError extends Error {
  constructor(
    readonly code: FleetLockSettingsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FleetLockSettings {
  /** The name clients send as client_params.group (Zincati's default is "default"). */
  lockGroup: string;
  maxUnavailable: number;
}

export function checkSettings(settings: FleetLockSettings) {
  if (!LOCK_GROUP_PATTERN.test(settings.lockGroup) || settings.lockGroup.length > 64) {
    throw new FleetLockSettingsError(
      "invalid",
      "lockGroup: must be 1-64 letters, digits, dots or dashes (the FleetLock spec's ^[a-zA-Z0-9.-]+$)",
    );
  }
  if (
    !Number.isInteger(settings.maxUnavailable) ||
    settings.maxUnavailable < 1 ||
    settings.maxUnavailable > MAX_UNAVAILABLE_LIMIT
  ) {
    throw new FleetLockSettingsError(
      "invalid",
      `maxUnavailable: must be a whole number from 1 to ${MAX_UNAVAILABLE_LIMIT}`,
    );
  }
}

async function groupOrThrow(tx: Tx, groupId: string) {
  const group = await tx.nodeGroup.findUnique({ where: { id: groupId }, include: { fleetLock: true } });
  if (!group) throw new FleetLockSettingsError("group-not-found", `Group ${groupId} does not exist`);
  return group;
}

async function lockGroupFree(tx: Tx, groupId: string, lockGroup: string) {
  const other = await tx.fleetLockGroup.findUnique({
    where: { lockGroup },
    include: { group: { select: { name: true } } },
  });
  if (other && other.groupId !== groupId) {
    throw new FleetLockSettingsError(
      "lock-group-taken",
      `lockGroup: "${lockGroup}" is already the lock group of node group "${other.group.name}"; choose another`,
    );
  }
}

/**
 * Turns FleetLock on for a node group (or changes its settings and hands out
 * a new secret when it was on). The secret is returned once; only its hash is kept.
 */
export async function enableFleetLock(tx: Tx, groupId: string, settings: FleetLockSettings) {
  checkSettings(settings);
  const group = await groupOrThrow(tx, groupId);
  await lockGroupFree(tx, groupId, settings.lockGroup);
  const secret = newSecret();
  const data = { ...settings, secretHash: hashSecret(secret), enabledAt: new Date() };
  await tx.fleetLockGroup.upsert({ where: { groupId }, create: { groupId, ...data }, update: data });
  return { secret, group, before: group.fleetLock };
}

/** A new secret for an enabled group: the old base URL stops working at once. */
export async function rotateFleetLockSecret(tx: Tx, groupId: string) {
  const group = await groupOrThrow(tx, groupId);
  if (!group.fleetLock?.secretHash)
    throw new FleetLockSettingsError("not-enabled", `FleetLock is not enabled on group "${group.name}"`);
  const secret = newSecret();
  await tx.fleetLockGroup.update({ where: { groupId }, data: { secretHash: hashSecret(secret) } });
  return { secret, group };
}

/** Changes the lock group's name or its slots, keeping the secret. */
export async function updateFleetLock(tx: Tx, groupId: string, settings: FleetLockSettings) {
  checkSettings(settings);
  const group = await groupOrThrow(tx, groupId);
  if (!group.fleetLock?.secretHash)
    throw new FleetLockSettingsError("not-enabled", `FleetLock is not enabled on group "${group.name}"`);
  await lockGroupFree(tx, groupId, settings.lockGroup);
  await tx.fleetLockGroup.update({ where: { groupId }, data: settings });
  return { group, before: { lockGroup: group.fleetLock.lockGroup, maxUnavailable: group.fleetLock.maxUnavailable } };
}

/** Turns FleetLock off: the secret stops working and the slots still held are released (history kept). */
export async function disableFleetLock(tx: Tx, groupId: string) {
  const group = await groupOrThrow(tx, groupId);
  if (!group.fleetLock?.secretHash)
    throw new FleetLockSettingsError("not-enabled", `FleetLock is not enabled on group "${group.name}"`);
  // Locks the row as a pre-reboot does, so no slot is taken between the release and the switch-off.
  await tx.$queryRaw`SELECT 1 FROM "FleetLockGroup" WHERE "groupId" = ${groupId} FOR UPDATE`;
  const released = await tx.fleetLockHold.updateMany({
    where: { groupId, releasedAt: null },
    data: { releasedAt: new Date(), releasedBy: "disabled" },
  });
  await tx.fleetLockGroup.update({ where: { groupId }, data: { secretHash: null, enabledAt: null } });
  return { group, released: released.count };
}

/**
 * An operator gives back one slot its client never released (a node that died
 * mid-update, a client removed): the slot frees for the group's next client
 * and its rollouts. Under the group's row lock, as a pre-reboot takes one.
 */
export async function releaseHoldByOperator(tx: Tx, holdId: string) {
  const found = await tx.fleetLockHold.findUnique({
    where: { id: holdId },
    select: { groupId: true, group: { select: { id: true, name: true } } },
  });
  if (!found) throw new FleetLockSettingsError("hold-not-found", `FleetLock slot ${holdId} not found`);
  await tx.$queryRaw`SELECT 1 FROM "FleetLockGroup" WHERE "groupId" = ${found.groupId} FOR UPDATE`;
  const hold = await tx.fleetLockHold.findUniqueOrThrow({
    where: { id: holdId },
    select: { id: true, clientId: true, nodeId: true, lockedAt: true, releasedAt: true, releasedBy: true },
  });
  if (hold.releasedAt) {
    throw new FleetLockSettingsError(
      "already-released",
      `FleetLock slot of client "${hold.clientId}" was already released (${hold.releasedBy ?? "released"} at ${hold.releasedAt.toISOString()})`,
    );
  }
  await tx.fleetLockHold.update({ where: { id: hold.id }, data: { releasedAt: new Date(), releasedBy: "operator" } });
  return { group: found.group, hold };
}
