import type { Prisma } from "@softfleet/db";

/** The Postgres channel that carries changes from any process to every web process. */
export const CHANGES_CHANNEL = "softfleet_changes";
/** Tells control processes that commands are waiting or a node was revoked. */
export const CONTROL_CHANNEL = "softfleet_control";

export type Change =
  | {
      entity: "node";
      id: string;
      what: "state" | "online" | "offline" | "enrolled" | "revoked";
      /** The node's new status when it changed, so views can show it before refetching. */
      status?: "online" | "offline" | "rebooting";
    }
  | { entity: "node-event"; nodeId: string; id: string; type: string; at: string }
  | { entity: "command"; nodeId: string; id: string; status: string }
  | { entity: "rollout"; id: string; status: string };

export type ControlSignal =
  | { kind: "command"; nodeId: string }
  | { kind: "commands"; nodeIds: string[] }
  | { kind: "revoked"; nodeId: string }
  /** A rollout was created or a user acted on one: the engine steps it. */
  | { kind: "rollout"; id: string };

type Sql = Pick<Prisma.TransactionClient, "$executeRaw">;

/** Sent when the surrounding transaction commits, and only then. */
export async function notifyChange(tx: Sql, change: Change): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(change)})`;
}

export async function notifyControl(tx: Sql, signal: ControlSignal): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${CONTROL_CHANNEL}, ${JSON.stringify(signal)})`;
}
