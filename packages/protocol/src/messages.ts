import { MAX_FRAME_BYTES, messageId, PROTOCOL_VERSION, usec } from "./common";
import { agentEvent } from "./events";
import { nodeIdentity, nodeState } from "./state";
import * as z from "./zod";

const v = z.literal(PROTOCOL_VERSION, { error: `must be protocol version ${PROTOCOL_VERSION}` });

export const softRebootCommand = z.object({
  type: z.literal("soft-reboot"),
  /** Only soft-reboot when /run/nextroot holds a new image (else refuse). */
  requireNextroot: z.boolean(),
  /**
   * An operator's override: reboot past `block` inhibitors (SD_LOGIND_SKIP_INHIBITORS).
   * logind still asks polkit for it, even for root (org.freedesktop.login1.reboot-ignore-inhibit).
   */
  skipInhibitors: z._default(z.boolean(), false),
});

/** An IMAGE_VERSION as a folder name: letters, digits, ".", "_" and "-". */
export const imageVersion = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
      "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
  );

/**
 * Stage an OS image for the next soft-reboot: download it, check its SHA-256,
 * unpack it and mount it at /run/nextroot, checking that its os-release
 * carries `version`. The agent answers with a command-result (accepted: it
 * started) and later a stage-result; stage-progress messages in between.
 */
export const stageCommand = z.object({
  type: z.literal("stage"),
  version: imageVersion,
  /** https:// anywhere, http:// only to loopback; or a path on control ("/images/x.tar"), fetched with the node's credential. */
  url: z.string().check(z.minLength(1), z.maxLength(2048)),
  sha256: z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")),
  /** A cap on the download rate; null: none. */
  bandwidthBytesPerSec: z._default(z.nullable(z.number().check(z.int(), z.minimum(1024), z.maximum(1e11))), null),
});
export type StageCommand = z.infer<typeof stageCommand>;

/**
 * Soft-reboot back into an image the node kept (an earlier stage left it in
 * its images folder): staged again from there, without a download, then the
 * soft-reboot. Refused, saying so, when no such image is kept.
 */
export const rollbackCommand = z.object({
  type: z.literal("rollback"),
  version: imageVersion,
  /** An operator's override, as for a soft-reboot: past `block` inhibitors. */
  skipInhibitors: z._default(z.boolean(), false),
});
export type RollbackCommand = z.infer<typeof rollbackCommand>;

export const agentCommand = z.discriminatedUnion("type", [softRebootCommand, stageCommand, rollbackCommand]);

export const stagePhase = z.enum(["download", "verify", "unpack", "mount", "check"]);

/** Agent -> gateway. The first message on a connection must be `hello`. */
export const agentMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("hello"), v, identity: nodeIdentity, state: nodeState }),
  z.object({ kind: z.literal("state"), v, state: nodeState }),
  /** Written to the agent's spool before it is sent; acknowledged by id. */
  z.object({ kind: z.literal("event"), v, id: messageId, event: agentEvent }),
  z.object({ kind: z.literal("heartbeat"), v, monotonicUsec: usec }),
  /** How far a stage command has got (not spooled: only the latest matters; the result is an event). */
  z.object({
    kind: z.literal("stage-progress"),
    v,
    commandId: messageId,
    phase: stagePhase,
    bytesDone: z.number().check(z.int(), z.nonnegative(), z.maximum(1e13)),
    bytesTotal: z.nullable(z.number().check(z.int(), z.nonnegative(), z.maximum(1e13))),
  }),
]);
export type AgentMessage = z.infer<typeof agentMessage>;

/** Gateway -> agent. */
export const serverMessage = z.discriminatedUnion("kind", [
  /** heartbeatSec is the server's wish: the agent clamps it into a range of its own. */
  z.object({
    kind: z.literal("welcome"),
    v,
    nodeId: z.string().check(z.maxLength(64)),
    heartbeatSec: z.number().check(z.int()),
  }),
  /** These events are stored; the agent may drop them from its spool. */
  z.object({ kind: z.literal("ack"), v, ids: z.array(messageId).check(z.maxLength(1000)) }),
  z.object({ kind: z.literal("command"), v, id: messageId, command: agentCommand }),
  z.object({
    kind: z.literal("error"),
    v,
    code: z.string().check(z.maxLength(64)),
    message: z.string().check(z.maxLength(2000)),
    ref: z.nullable(z.string().check(z.maxLength(64))),
  }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/**
 * An enrollment: a token for a new machine; for a machine already enrolled,
 * its current credential (Authorization: Bearer) or a token once an admin
 * allowed its re-enrollment.
 */
export const enrollRequest = z.object({
  token: z.optional(z.string().check(z.minLength(10), z.maxLength(200))),
  machineId: nodeIdentity.shape.machineId,
  hostname: nodeIdentity.shape.hostname,
});
export const enrollResponse = z.object({
  nodeId: z.string().check(z.maxLength(64)),
  credential: z.string().check(z.maxLength(200)),
});

/**
 * The code of a server `error` whose `ref` names an event it could not store
 * yet (the database busy or restarting): not acked, the agent sends it again.
 */
export const EVENT_NOT_STORED = "event-not-stored";

/** Close codes the gateway uses (RFC 6455 and the 4000 private range). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  policyViolation: 1008,
  tooBig: 1009,
  /** The server cannot take the connection now (overloaded); reconnect later. */
  tryAgainLater: 1013,
  /** The node was revoked by an admin. */
  revoked: 4001,
  /** Another connection of the same node replaced this one. */
  replaced: 4002,
  /** The node's credential was replaced (re-keyed): reconnect with the new one. */
  rekeyed: 4003,
} as const;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; code: string; error: string };

/** Parses one frame, explaining what is wrong with a bad one. */
export function parseFrame<T>(schema: z.ZodMiniType<T>, data: string | Buffer): ParseResult<T> {
  const size = typeof data === "string" ? Buffer.byteLength(data) : data.length;
  if (size > MAX_FRAME_BYTES)
    return { ok: false, code: "too-big", error: `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch (error) {
    return { ok: false, code: "malformed", error: `not JSON: ${(error as Error).message}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, message: result.data };
  const issues = result.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; ");
  const unknownKind = result.error.issues.some((i) => i.path.length === 1 && i.path[0] === "kind");
  return { ok: false, code: unknownKind ? "unknown-kind" : "invalid", error: issues };
}

export { messageId };
