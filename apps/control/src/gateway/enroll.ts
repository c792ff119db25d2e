import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db, Prisma } from "@softfleet/db";
import { EnrollmentError, enrollNode } from "@softfleet/fleet";
import { enrollRequest } from "@softfleet/protocol";
import type { AuditThrottle } from "./audit-throttle";
import { bearerOf, clientAddress, HttpError, readBody, sendJson } from "./http";

const STATUS: Record<EnrollmentError["code"], number> = {
  "invalid-token": 403,
  "revoked-node": 403,
  "wrong-credential": 403,
  "hostname-not-allowed": 403,
  "already-enrolled": 409,
};

/** POST /agent/v1/enroll: an enrollment token (or the node's current credential) for a new credential. */
export async function handleEnroll(db: Db, req: IncomingMessage, res: ServerResponse, throttle: AuditThrottle) {
  const sourceIp = clientAddress(req);
  let attempt: { machineId: string; hostname: string } | undefined;
  try {
    const text = await readBody(req, 16 * 1024);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const parsed = enrollRequest.safeParse(json);
    if (!parsed.success) {
      throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const credential = bearerOf(req.headers.authorization);
    const input = { ...parsed.data, credential };
    attempt = input;
    if (!input.token && !credential) {
      throw new HttpError(
        400,
        "token: send an enrollment token, or the node's current credential as Authorization: Bearer",
      );
    }
    const result = await db.$transaction(async (tx) => {
      const enrolled = await enrollNode(tx, input);
      await tx.auditEntry.create({
        data: {
          actorType: "agent",
          actorName: `agent on ${input.hostname}`,
          action: enrolled.path === "new" ? "node.enrolled" : "node.rekeyed",
          targetType: "node",
          targetId: enrolled.node.id,
          targetName: input.hostname,
          details: {
            machineId: input.machineId,
            token: enrolled.tokenLabel,
            path: enrolled.path,
            ...(enrolled.previousHostname && enrolled.previousHostname !== input.hostname
              ? { hostnameBefore: enrolled.previousHostname }
              : {}),
          },
          sourceIp,
        },
      });
      return enrolled;
    });
    sendJson(res, 201, { nodeId: result.node.id, credential: result.credential });
  } catch (error) {
    if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
    const refusal =
      error instanceof EnrollmentError
        ? error
        : isUniqueViolation(error) && attempt
          ? new EnrollmentError(
              "already-enrolled",
              `machine ${attempt.machineId} was enrolled at the same moment by another request`,
            )
          : null;
    if (refusal) {
      await auditRefusal(db, throttle, sourceIp, refusal, attempt).catch((auditError: Error) =>
        console.error(`[control] auditing a refused enrollment failed: ${auditError.message}`),
      );
      return sendJson(res, STATUS[refusal.code], { error: refusal.message, code: refusal.code });
    }
    console.error(`[control] enrollment failed: ${(error as Error).message}`);
    sendJson(res, 500, { error: "enrollment failed on the server; see its log" });
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/** One row per source address and refusal kind a minute, with the count of those left out. */
async function auditRefusal(
  db: Db,
  throttle: AuditThrottle,
  sourceIp: string | null,
  refusal: EnrollmentError,
  attempt: { machineId: string; hostname: string } | undefined,
) {
  const admitted = throttle.admit(`enroll:${refusal.code}:${sourceIp}`);
  if (!admitted) return;
  const details: Prisma.InputJsonObject = {
    reason: refusal.code,
    message: refusal.message,
    ...(attempt ? { machineId: attempt.machineId, hostname: attempt.hostname } : {}),
    ...(admitted.suppressed ? { refusedBeforeUnlogged: admitted.suppressed } : {}),
  };
  await db.auditEntry.create({
    data: {
      actorType: "agent",
      actorName: attempt ? `agent on ${attempt.hostname}` : "unknown agent",
      action: "node.enrollment_refused",
      targetType: refusal.nodeId ? "node" : null,
      targetId: refusal.nodeId,
      targetName: null,
      details,
      sourceIp,
    },
  });
}
