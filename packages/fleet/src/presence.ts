import type { Prisma } from "@softfleet/db";
import { CHANGES_CHANNEL, type Change } from "./notify";

type Tx = Prisma.TransactionClient;

/** When each node was last heard from (its heartbeat's arrival), as a control process gathered them. */
export type Presence = ReadonlyMap<string, Date>;

/**
 * Writes many nodes' heartbeats in one statement: last-seen moves forward
 * (never back), and a node shown offline (the sweep marked it while it was in
 * fact connected) or rebooting is online again, with one change announced for
 * each such node. Heartbeats otherwise change nothing a view shows.
 *
 * A heartbeat turns a node online only when it arrived after the node's row
 * last changed (`updatedAt`): one gathered before logind's shutdown signal, or
 * before its connection ended, and written after them, must not undo them.
 * A heartbeat heard after a node's signal says its agent is still (or again)
 * connected: as before heartbeats were batched, it ends "rebooting".
 * Returns how many nodes came back online.
 */
export async function recordPresence(tx: Tx, seen: Presence): Promise<number> {
  if (seen.size === 0) return 0;
  const ids = [...seen.keys()];
  const ats = ids.map((id) => seen.get(id)!.toISOString());
  const back = await tx.$queryRaw<Array<{ id: string }>>`
    WITH seen AS (
      -- Timestamps without a zone, in UTC, as Prisma stores them (the "Z" is ignored by the cast).
      SELECT id, at FROM unnest(${ids}::text[], ${ats}::timestamp(3)[]) AS s(id, at)
    ), written AS (
      UPDATE "Node" AS n
      SET "lastSeenAt" = GREATEST(n."lastSeenAt", seen.at),
          status = CASE WHEN n.status IN ('offline', 'rebooting') AND seen.at > n."updatedAt" THEN 'online'::"NodeStatus"
                        ELSE n.status END
      FROM seen, "Node" AS before
      WHERE n.id = seen.id AND before.id = seen.id AND n."revokedAt" IS NULL
      RETURNING n.id, before.status AS "was", n.status AS "now"
    )
    SELECT id FROM written WHERE "was" <> 'online' AND "now" = 'online'`;
  for (const { id } of back) {
    const change: Change = { entity: "node", id, what: "online", status: "online" };
    await tx.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(change)})`;
  }
  return back.length;
}
