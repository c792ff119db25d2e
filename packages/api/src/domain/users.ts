import type { Role } from "@softfleet/db";
import type { Tx } from "../audit";
import { hashPassword } from "../auth/password";
import { conflict, forbidden, isUniqueViolation, notFound } from "../errors";

export const userSummary = {
  id: true,
  username: true,
  displayName: true,
  role: true,
  disabledAt: true,
  createdAt: true,
} as const;

export async function createUser(
  tx: Tx,
  input: { username: string; displayName: string; password: string; role: Role },
) {
  const passwordHash = await hashPassword(input.password);
  try {
    return await tx.user.create({
      data: { username: input.username, displayName: input.displayName, role: input.role, passwordHash },
      select: userSummary,
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`username: "${input.username}" is already taken`);
    throw error;
  }
}

export async function findUserOrThrow(tx: Tx, userId: string) {
  const user = await tx.user.findUnique({ where: { id: userId }, select: userSummary });
  if (!user) throw notFound(`User ${userId}`);
  return user;
}

/** Whether a change of role from `current` to `next` takes an admin away (the last-admin rule then applies). */
export function demotesAdmin(current: Role, next: Role): boolean {
  return current === "admin" && next !== "admin";
}

/**
 * Sets a user's role, for the dashboard and `npm run user` alike: an admin is
 * demoted only while another active admin remains.
 */
export async function setUserRole(tx: Tx, user: { id: string; role: Role }, next: Role) {
  if (demotesAdmin(user.role, next)) await assertAnotherActiveAdmin(tx, user.id);
  return tx.user.update({ where: { id: user.id }, data: { role: next }, select: userSummary });
}

/** Refuses changes that would leave nobody able to manage users. */
export async function assertAnotherActiveAdmin(tx: Tx, exceptUserId: string) {
  const others = await tx.user.count({ where: { role: "admin", disabledAt: null, id: { not: exceptUserId } } });
  if (others === 0) throw forbidden("This is the last active admin: make another admin first");
}

export function assertNotSelf(actorId: string, userId: string, what: string) {
  if (actorId === userId) throw forbidden(`You cannot ${what} your own account; ask another admin`);
}
