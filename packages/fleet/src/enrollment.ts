import type { Prisma } from "@softfleet/db";
import { formatNodeCredential, hashSecret, newSecret, parseNodeCredential, secretMatches } from "./credentials";
import { hostnameMatches } from "./hostname-pattern";
import { notifyChange, notifyControl } from "./notify";

type Tx = Prisma.TransactionClient;
type Labels = Record<string, string>;

export type EnrollmentRefusal =
  | "invalid-token"
  | "revoked-node"
  | "already-enrolled"
  | "wrong-credential"
  | "hostname-not-allowed";

export class EnrollmentError extends Error {
  constructor(
    readonly code: EnrollmentRefusal,
    message: string,
    /** The node the attempt aimed at, when it named an existing one. */
    readonly nodeId: string | null = null,
  ) {
    super(message);
  }
}

/** How long an admin's "allow re-enrollment" lasts, at most (and by default). */
export const REENROLL_WINDOW = { defaultMinutes: 60, maxMinutes: 24 * 60 };

export async function createEnrollmentToken(
  tx: Tx,
  input: {
    label: string;
    ttlHours: number;
    maxUses: number | null;
    createdById: string | null;
    hostnamePattern?: string | null;
    labels?: Labels;
  },
) {
  const token = `sfe_${newSecret()}`;
  const row = await tx.enrollmentToken.create({
    data: {
      tokenHash: hashSecret(token),
      label: input.label,
      expiresAt: new Date(Date.now() + input.ttlHours * 3_600_000),
      maxUses: input.maxUses,
      createdById: input.createdById,
      hostnamePattern: input.hostnamePattern ?? null,
      labels: input.labels ?? {},
    },
  });
  return { token, row };
}

/**
 * Takes one use of a token, atomically: of any number of enrollments racing
 * for a token's last use, exactly one gets it. The use is given back if the
 * surrounding transaction fails.
 */
async function claimToken(tx: Tx, token: string) {
  const tokenHash = hashSecret(token);
  const [claimed] = await tx.$queryRaw<
    Array<{ id: string; label: string; hostnamePattern: string | null; labels: Labels }>
  >`
    UPDATE "EnrollmentToken" SET uses = uses + 1
    WHERE "tokenHash" = ${tokenHash} AND "revokedAt" IS NULL AND "expiresAt" > now()
      AND ("maxUses" IS NULL OR uses < "maxUses")
    RETURNING id, label, "hostnamePattern", labels`;
  if (claimed) return claimed;
  const row = await tx.enrollmentToken.findUnique({ where: { tokenHash } });
  const problem = !row
    ? "is not a known enrollment token"
    : row.revokedAt
      ? "was revoked"
      : row.expiresAt <= new Date()
        ? "has expired"
        : `has been used ${row.uses} times, its limit`;
  throw new EnrollmentError("invalid-token", `the enrollment token ${problem}`);
}

export type EnrollmentPath = "new" | "current-credential" | "admin-allowed";

/**
 * An agent gets its own credential. A new machine needs a valid token (and a
 * hostname its pattern allows). A machine already enrolled is re-keyed only
 * by its current credential, or with a token once an admin allowed it (one
 * use, until it expires): machine ids are not secret, so a token alone never
 * takes over a node. A revoked node stays revoked.
 */
export async function enrollNode(
  tx: Tx,
  input: { token?: string; credential?: string; machineId: string; hostname: string },
) {
  const [existing] = await tx.$queryRaw<
    Array<{ id: string; hostname: string; credentialHash: string | null; revokedAt: Date | null }>
  >`SELECT id, hostname, "credentialHash", "revokedAt" FROM "Node" WHERE "machineId" = ${input.machineId} FOR UPDATE`;
  if (existing?.revokedAt) {
    throw new EnrollmentError(
      "revoked-node",
      `machine ${input.machineId} was revoked; an admin must delete it first`,
      existing.id,
    );
  }
  const secret = newSecret();
  const now = new Date();

  if (input.credential !== undefined) {
    const parsed = parseNodeCredential(input.credential);
    const valid = existing && parsed?.nodeId === existing.id && secretMatches(parsed.secret, existing.credentialHash);
    if (!valid) {
      throw new EnrollmentError(
        "wrong-credential",
        `the credential presented is not the current credential of machine ${input.machineId}`,
        existing?.id ?? null,
      );
    }
    const node = await tx.node.update({
      where: { id: existing.id },
      data: { hostname: input.hostname, credentialHash: hashSecret(secret), enrolledAt: now },
    });
    await notifyChange(tx, { entity: "node", id: node.id, what: "enrolled" });
    await notifyControl(tx, { kind: "rekeyed", nodeId: node.id });
    return {
      node,
      tokenLabel: null,
      path: "current-credential" as EnrollmentPath,
      previousHostname: existing.hostname,
      credential: formatNodeCredential(node.id, secret),
    };
  }

  if (!input.token)
    throw new EnrollmentError("invalid-token", "send an enrollment token (or the node's current credential)");
  const token = await claimToken(tx, input.token);
  if (token.hostnamePattern && !hostnameMatches(token.hostnamePattern, input.hostname)) {
    throw new EnrollmentError(
      "hostname-not-allowed",
      `the enrollment token is for hostnames matching ${token.hostnamePattern}, not ${input.hostname}`,
      existing?.id ?? null,
    );
  }
  let node: Awaited<ReturnType<Tx["node"]["update"]>>;
  if (existing) {
    const allowed = await tx.node.updateMany({
      where: { id: existing.id, reenrollAllowedUntil: { gt: now } },
      data: {
        reenrollAllowedUntil: null,
        hostname: input.hostname,
        credentialHash: hashSecret(secret),
        enrolledAt: now,
        enrollmentLabels: token.labels,
      },
    });
    if (allowed.count === 0) {
      throw new EnrollmentError(
        "already-enrolled",
        `machine ${input.machineId} is already enrolled (node ${existing.hostname}); an admin must allow its re-enrollment on the node's page, or the agent must present the node's current credential`,
        existing.id,
      );
    }
    node = await tx.node.findUniqueOrThrow({ where: { id: existing.id } });
  } else {
    node = await tx.node.create({
      data: {
        machineId: input.machineId,
        hostname: input.hostname,
        credentialHash: hashSecret(secret),
        enrolledAt: now,
        status: "offline",
        labels: token.labels,
        enrollmentLabels: token.labels,
      },
    });
  }
  await notifyChange(tx, { entity: "node", id: node.id, what: "enrolled" });
  if (existing) await notifyControl(tx, { kind: "rekeyed", nodeId: node.id });
  return {
    node,
    tokenLabel: token.label,
    path: (existing ? "admin-allowed" : "new") as EnrollmentPath,
    previousHostname: existing?.hostname ?? null,
    credential: formatNodeCredential(node.id, secret),
  };
}

/** An admin lets the next enrollment of this node's machine re-key it: once, until `minutes` from now. */
export async function allowReenrollment(tx: Tx, nodeId: string, minutes: number) {
  const until = new Date(Date.now() + Math.min(Math.max(1, minutes), REENROLL_WINDOW.maxMinutes) * 60_000);
  await tx.node.update({ where: { id: nodeId }, data: { reenrollAllowedUntil: until } });
  return until;
}
