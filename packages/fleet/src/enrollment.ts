import type { Prisma } from "@softfleet/db";
import { formatNodeCredential, hashSecret, newSecret } from "./credentials";
import { notifyChange } from "./notify";

type Tx = Prisma.TransactionClient;

export class EnrollmentError extends Error {
  constructor(
    readonly code: "invalid-token" | "revoked-node",
    message: string,
  ) {
    super(message);
  }
}

export async function createEnrollmentToken(
  tx: Tx,
  input: { label: string; ttlHours: number; maxUses: number | null; createdById: string | null },
) {
  const token = `sfe_${newSecret()}`;
  const row = await tx.enrollmentToken.create({
    data: {
      tokenHash: hashSecret(token),
      label: input.label,
      expiresAt: new Date(Date.now() + input.ttlHours * 3_600_000),
      maxUses: input.maxUses,
      createdById: input.createdById,
    },
  });
  return { token, row };
}

/**
 * An agent presents a token once and gets its own credential. Re-enrolling a
 * known machine (a reinstalled agent) replaces its credential; a revoked
 * node stays revoked.
 */
export async function enrollNode(tx: Tx, input: { token: string; machineId: string; hostname: string }) {
  const token = await tx.enrollmentToken.findUnique({ where: { tokenHash: hashSecret(input.token) } });
  const now = new Date();
  const problem = !token
    ? "is not a known enrollment token"
    : token.revokedAt
      ? "was revoked"
      : token.expiresAt <= now
        ? "has expired"
        : token.maxUses !== null && token.uses >= token.maxUses
          ? `has been used ${token.uses} times, its limit`
          : null;
  if (!token || problem) throw new EnrollmentError("invalid-token", `the enrollment token ${problem}`);
  const existing = await tx.node.findUnique({ where: { machineId: input.machineId } });
  if (existing?.revokedAt) {
    throw new EnrollmentError("revoked-node", `machine ${input.machineId} was revoked; an admin must delete it first`);
  }
  const secret = newSecret();
  const node = await tx.node.upsert({
    where: { machineId: input.machineId },
    create: {
      machineId: input.machineId,
      hostname: input.hostname,
      credentialHash: hashSecret(secret),
      enrolledAt: now,
      status: "offline",
    },
    update: { hostname: input.hostname, credentialHash: hashSecret(secret), enrolledAt: now },
  });
  await tx.enrollmentToken.update({ where: { id: token.id }, data: { uses: { increment: 1 } } });
  await notifyChange(tx, { entity: "node", id: node.id, what: "enrolled" });
  return { node, tokenLabel: token.label, credential: formatNodeCredential(node.id, secret), reenrolled: !!existing };
}
