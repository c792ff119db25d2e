import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Secrets handed out once (enrollment tokens, node credentials). The
 * database keeps only their SHA-256: they are long and random, so a slow
 * password hash would add nothing.
 */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, expectedHash: string | null): boolean {
  if (!expectedHash) return false;
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(expectedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const PREFIX = "sfn";

/** A node credential names its node, so a gateway finds the row to check it against. */
export function formatNodeCredential(nodeId: string, secret: string): string {
  return `${PREFIX}.${nodeId}.${secret}`;
}

export function parseNodeCredential(credential: string): { nodeId: string; secret: string } | null {
  const parts = credential.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2]) return null;
  if (parts[1].length > 64 || parts[2].length > 100) return null;
  return { nodeId: parts[1], secret: parts[2] };
}
