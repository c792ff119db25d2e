import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@softfleet/db";
import { EnrollmentError, enrollNode } from "@softfleet/fleet";
import { enrollRequest } from "@softfleet/protocol";
import { clientAddress, HttpError, readBody, sendJson } from "./http";

/** POST /agent/v1/enroll: an enrollment token for a per-node credential. */
export async function handleEnroll(db: Db, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const input = parsed.data;
    const result = await db.$transaction(async (tx) => {
      const enrolled = await enrollNode(tx, input);
      await tx.auditEntry.create({
        data: {
          actorType: "agent",
          actorName: `agent on ${input.hostname}`,
          action: enrolled.reenrolled ? "node.reenrolled" : "node.enrolled",
          targetType: "node",
          targetId: enrolled.node.id,
          targetName: input.hostname,
          details: { machineId: input.machineId, token: enrolled.tokenLabel },
          sourceIp: clientAddress(req),
        },
      });
      return enrolled;
    });
    sendJson(res, 201, { nodeId: result.node.id, credential: result.credential });
  } catch (error) {
    if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
    if (error instanceof EnrollmentError) return sendJson(res, 403, { error: error.message });
    console.error(`[control] enrollment failed: ${(error as Error).message}`);
    sendJson(res, 500, { error: "enrollment failed on the server; see its log" });
  }
}
