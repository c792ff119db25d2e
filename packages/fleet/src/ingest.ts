import { Prisma } from "@softfleet/db";
import type { AgentEvent, NodeIdentity, NodeState, RebootRecordEvent } from "@softfleet/protocol";
import { fleetLockHeldAt } from "./fleetlock/slots";
import { CHANGES_CHANNEL, type Change, notifyChange } from "./notify";
import { phaseTimestampsOf } from "./phases";
import { enqueueWebhookEvents, nodeOfflineEvent, rebootRecordEvents } from "./webhooks";

type Tx = Prisma.TransactionClient;

/** A JSON column's value as a statement parameter: null stays SQL NULL (Prisma's DbNull). */
const jsonOrNull = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/** Now, as Prisma stores timestamps: without a zone, in UTC (the cast ignores the ISO string's "Z"). */
const utcNow = () => Prisma.sql`${new Date().toISOString()}::timestamp(3)`;

/** The SET list of what an agent reports of its node (hello and state): the one place that lists them. */
function stateAssignments(state: NodeState): Prisma.Sql {
  return Prisma.sql`"softRebootsCount" = ${state.softRebootsCount}::int, "nextrootStaged" = ${state.nextroot.staged},
        "nextrootImageVersion" = ${state.nextroot.imageVersion}, units = ${JSON.stringify(state.units)}::jsonb,
        inhibitor = ${state.inhibitor}, "pinnedRoot" = ${jsonOrNull(state.pinnedRoot)}::jsonb,
        containers = ${jsonOrNull(state.containers)}::jsonb, portables = ${jsonOrNull(state.portables)}::jsonb,
        network = ${jsonOrNull(state.network)}::jsonb, inhibitors = ${jsonOrNull(state.inhibitors)}::jsonb,
        "lastSeenAt" = ${utcNow()}, "updatedAt" = ${utcNow()}`;
}

/**
 * A node connected and said who it is, in one statement (a whole fleet says
 * hello at once after a control restart: one round trip each, no interactive
 * transaction). Its labels are its agent's, under those of its enrollment
 * token (an agent cannot take a label its token set). A changed hostname or
 * label set is audited in the same statement: labels choose groups, and so
 * rollouts. Returns whether commands wait for the node (pending, or sent and
 * not answered), so that a connection with nothing to deliver asks no more.
 */
export async function applyHello(
  tx: Tx,
  nodeId: string,
  identity: NodeIdentity,
  state: NodeState,
  /** When this connection said hello: its markOffline leaves a later connection's node alone. */
  connectedAt = new Date(),
): Promise<{ commandsWaiting: boolean }> {
  const change: Change = { entity: "node", id: nodeId, what: "online", status: "online" };
  const rows = await tx.$queryRaw<Array<{ commandsWaiting: boolean }>>`
    WITH before AS (
      SELECT hostname, labels, ${JSON.stringify(identity.labels)}::jsonb || "enrollmentLabels" AS "nextLabels"
      FROM "Node" WHERE id = ${nodeId} FOR UPDATE
    ), updated AS (
      UPDATE "Node" AS n SET
        hostname = ${identity.hostname}, "bootId" = ${identity.bootId},
        "osId" = ${identity.osRelease.id}, "osVersionId" = ${identity.osRelease.versionId},
        "imageId" = ${identity.osRelease.imageId}, "imageVersion" = ${identity.osRelease.imageVersion},
        "systemdVersion" = ${identity.systemdVersion}::int, "agentVersion" = ${identity.agentVersion},
        labels = before."nextLabels", simulated = ${identity.simulated},
        status = 'online', "connectedAt" = ${connectedAt.toISOString()}::timestamp(3), ${stateAssignments(state)}
      FROM before WHERE n.id = ${nodeId}
      RETURNING n.id
    ), audited AS (
      INSERT INTO "AuditEntry" ("actorType", "actorName", action, "targetType", "targetId", "targetName", details)
      SELECT 'agent'::"ActorType", ${`agent on ${identity.hostname}`}::text, 'node.identity_changed', 'node', ${nodeId}::text,
             ${identity.hostname}::text,
             CASE WHEN hostname <> ${identity.hostname}
                  THEN jsonb_build_object('hostname', jsonb_build_object('before', hostname, 'after', ${identity.hostname}::text))
                  ELSE '{}'::jsonb END ||
             CASE WHEN labels <> "nextLabels"
                  THEN jsonb_build_object('labels', jsonb_build_object('before', labels, 'after', "nextLabels"))
                  ELSE '{}'::jsonb END
      FROM before WHERE hostname <> ${identity.hostname} OR labels <> "nextLabels"
    )
    SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(change)}) IS NULL AS notified,
           EXISTS (SELECT 1 FROM "NodeCommand" WHERE "nodeId" = ${nodeId} AND status IN ('pending', 'sent'))
             AS "commandsWaiting"
    FROM updated`;
  if (rows.length === 0) throw new Error(`node ${nodeId} does not exist`);
  return { commandsWaiting: rows[0]!.commandsWaiting };
}

export async function applyState(tx: Tx, nodeId: string, state: NodeState) {
  const updated = await tx.$executeRaw`UPDATE "Node" SET ${stateAssignments(state)} WHERE id = ${nodeId}`;
  if (updated === 0) throw new Error(`node ${nodeId} does not exist`);
  await notifyChange(tx, { entity: "node", id: nodeId, what: "state" });
}

/**
 * The connection that said hello at `connectedAt` ended. A node that
 * announced a shutdown stays "rebooting" until it says hello again; and a
 * node that said hello since on another connection (to this process or
 * another one: several control processes share the fleet, and the old
 * connection's end may be handled after the new one's hello) stays online.
 */
export async function markOffline(
  tx: Tx,
  nodeId: string,
  connectedAt: Date,
  /** webhook false: control is shutting down and closed the connection itself (its agents reconnect). */
  { webhook = true }: { webhook?: boolean } = {},
) {
  const gone = await tx.$queryRaw<Array<{ hostname: string }>>`
    UPDATE "Node" SET status = 'offline', "updatedAt" = ${utcNow()}
    WHERE id = ${nodeId} AND status <> 'rebooting'
      AND ("connectedAt" IS NULL OR "connectedAt" <= ${connectedAt.toISOString()}::timestamp(3))
    RETURNING hostname`;
  if (gone.length === 0) return;
  await notifyChange(tx, { entity: "node", id: nodeId, what: "offline", status: "offline" });
  if (webhook) {
    const event = nodeOfflineEvent({ id: nodeId, hostname: gone[0]!.hostname }, "its connection to control ended");
    await enqueueWebhookEvents(tx, [event]);
  }
}

/**
 * Marks offline the nodes whose heartbeats stopped (their control process died
 * without closing their connections), and those that went down to reboot and
 * did not come back, announcing each change.
 */
export async function sweepStaleNodes(tx: Tx, cutoffs: { onlineSince: Date; rebootingSince: Date }) {
  const change = (id: string): Change => ({ entity: "node", id, what: "offline", status: "offline" });
  const stale = await tx.$queryRaw<Array<{ id: string; hostname: string; was: string }>>`
    UPDATE "Node" n SET status = 'offline', "updatedAt" = now()
    FROM "Node" before
    WHERE before.id = n.id AND (
          (n.status = 'online' AND n."lastSeenAt" < ${cutoffs.onlineSince})
       OR (n.status = 'rebooting' AND n."lastSeenAt" < ${cutoffs.rebootingSince}))
    RETURNING n.id, n.hostname, before.status::text AS was`;
  for (const { id } of stale) await notifyChange(tx, change(id));
  const reason = (was: string) =>
    was === "rebooting" ? "it went down to reboot and did not come back in time" : "its heartbeats stopped";
  await enqueueWebhookEvents(
    tx,
    stale.map(({ id, hostname, was }) => nodeOfflineEvent({ id, hostname }, reason(was))),
  );
  return stale.length;
}

/**
 * Stores one agent event once (its id is the key) with its effects, in the
 * caller's transaction. Returns false for a duplicate (already stored: ack it
 * again, change nothing).
 */
export async function storeEvent(tx: Tx, nodeId: string, id: string, event: AgentEvent): Promise<boolean> {
  if (event.type === "shutdown-signal") return storeShutdownSignal(tx, nodeId, id, event);
  if (event.type === "command-result") return storeCommandResult(tx, nodeId, id, event);
  const inserted = await tx.$queryRaw<
    Array<{ id: string }>
  >`WITH ${insertedOnce(nodeId, id, event)} SELECT id FROM inserted`;
  if (inserted.length === 0) return false;
  if (event.type === "reboot-record") await storeRebootRecord(tx, nodeId, id, event);
  if (event.type === "stage-result") {
    const { type: _type, commandId, ...result } = event;
    await tx.nodeCommand.updateMany({
      where: { id: commandId, nodeId, type: "stage" },
      data: { result, answeredAt: new Date() },
    });
    await notifyChange(tx, { entity: "command", nodeId, id: commandId, status: result.outcome });
  }
  await notifyChange(tx, { entity: "node-event", nodeId, id, type: event.type, at: new Date().toISOString() });
  return true;
}

/**
 * The CTE `inserted` of a one-statement event store: the event stored once by
 * its id (no row when it was stored before).
 */
function insertedOnce(nodeId: string, id: string, event: AgentEvent): Prisma.Sql {
  // Events are partitioned by month, and no unique index spans the months: the event's key, in
  // NodeEventKey (one table), is inserted first, and the event only when its key was new (a second
  // writer of the same key waits for the first to commit, then inserts nothing).
  return Prisma.sql`key AS (
      INSERT INTO "NodeEventKey" ("nodeId", id) VALUES (${nodeId}, ${id})
      ON CONFLICT DO NOTHING
      RETURNING id
    ), inserted AS (
      INSERT INTO "NodeEvent" (id, "nodeId", type, payload)
      SELECT ${id}, ${nodeId}, ${event.type}, ${JSON.stringify(event)}::jsonb FROM key
      RETURNING id
    )`;
}

/** The event's own announcement, as a select-list expression of a one-statement store. */
function announcedEvent(nodeId: string, id: string, event: AgentEvent): Prisma.Sql {
  const change: Change = { entity: "node-event", nodeId, id, type: event.type, at: new Date().toISOString() };
  return Prisma.sql`pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(change)}) IS NULL`;
}

/** An agent's answer to a command: stored, the command answered and both changes announced, in one statement. */
async function storeCommandResult(
  tx: Tx,
  nodeId: string,
  id: string,
  event: Extract<AgentEvent, { type: "command-result" }>,
): Promise<boolean> {
  const commandChange: Change = { entity: "command", nodeId, id: event.commandId, status: event.outcome };
  const rows = await tx.$queryRaw<Array<{ stored: boolean }>>`
    WITH ${insertedOnce(nodeId, id, event)}, answered AS (
      UPDATE "NodeCommand" SET status = ${event.outcome}::"CommandStatus", reason = ${event.reason},
             "answeredAt" = ${utcNow()}
      WHERE id = ${event.commandId} AND "nodeId" = ${nodeId} AND EXISTS (SELECT 1 FROM inserted)
      RETURNING id
    )
    SELECT true AS stored,
           pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(commandChange)}) IS NULL AS a,
           ${announcedEvent(nodeId, id, event)} AS b
    FROM inserted`;
  return rows.length > 0;
}

/**
 * logind's signal, while the node's shutdown waits on the agent's delay lock
 * for our ack: stored, the node's status set and both changes announced in a
 * single statement (one round trip).
 */
async function storeShutdownSignal(
  tx: Tx,
  nodeId: string,
  id: string,
  event: Extract<AgentEvent, { type: "shutdown-signal" }>,
): Promise<boolean> {
  // start=false: the shutdown was cancelled, the node carries on.
  const status = event.start ? "rebooting" : "online";
  const nodeChange: Change = { entity: "node", id: nodeId, what: "state", status };
  // Only a signal of the boot the node is in now changes its status: one of an earlier boot, sent
  // again after the node came back (it was not acked before the shutdown), is history. Stored all
  // the same, once; it must not mark a node that said hello since as rebooting again.
  const rows = await tx.$queryRaw<Array<{ stored: boolean }>>`
    WITH ${insertedOnce(nodeId, id, event)}, updated AS (
      UPDATE "Node" SET status = ${status}::"NodeStatus", "updatedAt" = ${utcNow()}
      WHERE id = ${nodeId} AND EXISTS (SELECT 1 FROM inserted)
        AND ("bootId" IS NULL OR "bootId" = ${event.bootId})
      RETURNING id
    )
    SELECT true AS stored,
           CASE WHEN EXISTS (SELECT 1 FROM updated)
                THEN pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(nodeChange)}) END IS NULL AS a,
           ${announcedEvent(nodeId, id, event)} AS b
    FROM inserted`;
  return rows.length > 0;
}

/** A reboot recorded this long after its command was accepted is still attributed to it. */
const RECORD_WINDOW_MS = 10 * 60_000;

/** Who asked for a reboot: a rollback (its own outcome in reports), a rollout, a person here, or nobody here. */
function triggerOf(command: { type: string; rolloutId: string | null } | null): string {
  if (!command) return "external";
  if (command.type === "rollback") return "rollback";
  return command.rolloutId ? "rollout" : "manual";
}

async function storeRebootRecord(tx: Tx, nodeId: string, eventId: string, record: RebootRecordEvent) {
  // The command that asked for it: a soft-reboot (or a rollback, which ends in one) the agent accepted shortly before.
  const command = await tx.nodeCommand.findFirst({
    where: {
      nodeId,
      type: { in: ["soft-reboot", "rollback"] },
      status: "accepted",
      answeredAt: { gte: new Date(Date.now() - RECORD_WINDOW_MS) },
    },
    orderBy: { requestedAt: "desc" },
  });
  const alreadyRecorded = command && (await tx.rebootRecord.findFirst({ where: { commandId: command.id } }));
  // A node holding a FleetLock slot (or just back from one: its client releases once healthy, maybe
  // before this record arrives) rebooted for its FleetLock client (Zincati): nobody here asked.
  const fleetLock = await fleetLockHeldAt(tx, nodeId, new Date(), RECORD_WINDOW_MS);
  const commandId = command && !alreadyRecorded && !fleetLock ? command.id : null;
  await tx.rebootRecord.create({
    data: {
      nodeId,
      eventId,
      kind: record.kind,
      requested: record.requested,
      announced: record.announced ?? null,
      escalated: record.escalated,
      beforeLost: record.beforeLost,
      trigger: fleetLock ? "external" : triggerOf(commandId ? command : null),
      commandId,
      bootIdBefore: record.bootIdBefore,
      bootIdAfter: record.bootIdAfter,
      softRebootsCountBefore: record.softRebootsCountBefore,
      softRebootsCountAfter: record.softRebootsCountAfter,
      imageVersionBefore: record.imageBefore?.imageVersion ?? null,
      imageVersionAfter: record.imageAfter.imageVersion,
      ...phaseTimestampsOf(record.phases),
      units: record.units,
      blame: record.blame ?? Prisma.DbNull,
      pinnedRoot: record.pinnedRoot ?? Prisma.DbNull,
      clientGaps: record.clientGaps ?? Prisma.DbNull,
      containers: record.containers ?? Prisma.DbNull,
      network: record.network ?? Prisma.DbNull,
    },
  });
  if (record.escalated || record.pinnedRoot?.processes.length) {
    const node = await tx.node.findUnique({ where: { id: nodeId }, select: { id: true, hostname: true } });
    if (node) await enqueueWebhookEvents(tx, rebootRecordEvents(node, record));
  }
}
