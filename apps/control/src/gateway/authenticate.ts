import type { Db } from "@softfleet/db";
import { parseNodeCredential, secretMatches } from "@softfleet/fleet";
import { bearerOf } from "./http";

/** Why a node's credential was refused, and which node it named (when it named a known one). */
export type AuthFailure = { error: string; nodeId: string | null };

export interface AuthenticatedNode {
  id: string;
  machineId: string;
  credentialHash: string | null;
}

/**
 * Checks a node's credential sent as `Authorization: Bearer <credential>`: the
 * one check for every agent endpoint (the WebSocket upgrade, image downloads).
 * A revoked node is refused even with its right credential.
 */
export async function authenticate(db: Db, header: string | undefined): Promise<AuthenticatedNode | AuthFailure> {
  const credential = bearerOf(header);
  if (!credential) return { error: "send the node's credential as Authorization: Bearer <credential>", nodeId: null };
  const parsed = parseNodeCredential(credential);
  if (!parsed) return { error: "the credential is malformed", nodeId: null };
  const node = await db.node.findUnique({ where: { id: parsed.nodeId } });
  if (!node) return { error: "the credential names no known node; enroll again", nodeId: null };
  if (node.revokedAt) return { error: "this node was revoked by an admin", nodeId: node.id };
  if (!secretMatches(parsed.secret, node.credentialHash)) return { error: "the credential is wrong", nodeId: node.id };
  return { id: node.id, machineId: node.machineId, credentialHash: node.credentialHash };
}
