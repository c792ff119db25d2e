import { z } from "zod";

/**
 * Messages between the node agent and the control plane's gateway. Both ends
 * import these schemas; a message that does not parse is refused.
 * The version is bumped on any incompatible change.
 */
export const PROTOCOL_VERSION = 1;

/** Every message carries the protocol version and an id (events are stored once per id). */
export const envelope = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: z.string().min(1).max(100),
});

/** The agent's messages; they arrive with the agent (issue 3). */
export const agentMessage = z.discriminatedUnion("kind", [
  envelope.extend({ kind: z.literal("heartbeat"), sentAt: z.iso.datetime() }),
]);
export type AgentMessage = z.infer<typeof agentMessage>;
