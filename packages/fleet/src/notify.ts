import type { Prisma } from "@softfleet/db";
import { z } from "zod";

/** The Postgres channel that carries changes from any process to every web process. */
export const CHANGES_CHANNEL = "softfleet_changes";
/** Tells control processes that commands are waiting or a node was revoked. */
export const CONTROL_CHANNEL = "softfleet_control";

const id = z.string().min(1).max(64);

/** What changed, as every web process hears it. Payloads are parsed, never trusted: the database may hold anything. */
export const changeSchema = z.discriminatedUnion("entity", [
  z.object({
    entity: z.literal("node"),
    id,
    what: z.enum(["state", "online", "offline", "enrolled", "revoked"]),
    /** The node's new status when it changed, so views can show it before refetching. */
    status: z.enum(["online", "offline", "rebooting"]).optional(),
  }),
  z.object({
    entity: z.literal("node-event"),
    nodeId: id,
    id: z.string().max(128),
    type: z.string().max(64),
    at: z.string().max(64),
  }),
  z.object({ entity: z.literal("command"), nodeId: id, id, status: z.string().max(32) }),
  z.object({ entity: z.literal("rollout"), id, status: z.string().max(32) }),
  /** A user's sessions ended or the user changed (disabled, role): sent by a trigger, never shown to browsers. */
  z.object({ entity: z.literal("user"), id, what: z.literal("sessions") }),
]);
export type Change = z.infer<typeof changeSchema>;
/** What browsers receive: every change but the users' own. */
export type FleetChange = Exclude<Change, { entity: "user" }>;

export const controlSignalSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("command"), nodeId: id }),
  z.object({ kind: z.literal("commands"), nodeIds: z.array(id).max(100_000) }),
  z.object({ kind: z.literal("revoked"), nodeId: id }),
  /** The node's credential was replaced: connections made with the old one end. */
  z.object({ kind: z.literal("rekeyed"), nodeId: id }),
  /** A rollout was created or a user acted on one: the engine steps it. */
  z.object({ kind: z.literal("rollout"), id }),
]);
export type ControlSignal = z.infer<typeof controlSignalSchema>;

/** A NOTIFY payload read back, or null (with the reason) when it is not one of ours. */
export function parseNotification<T>(
  schema: z.ZodType<T>,
  payload: string,
): { ok: true; value: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, error: `not JSON: ${JSON.stringify(payload.slice(0, 80))}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "),
  };
}

type Sql = Pick<Prisma.TransactionClient, "$executeRaw">;

/** Sent when the surrounding transaction commits, and only then. */
export async function notifyChange(tx: Sql, change: Change): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(change)})`;
}

export async function notifyControl(tx: Sql, signal: ControlSignal): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${CONTROL_CHANNEL}, ${JSON.stringify(signal)})`;
}
