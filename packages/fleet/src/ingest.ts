import { Prisma } from "@softfleet/db";
import type { AgentEvent, NodeIdentity, NodeState, RebootRecordEvent } from "@softfleet/protocol";
import { CHANGES_CHANNEL, type Change, notifyChange } from "./notify";

type Tx = Prisma.TransactionClient;

function stateColumns(state: NodeState) {
  return {
    softRebootsCount: state.softRebootsCount,
    nextrootStaged: state.nextroot.staged,
    nextrootImageVersion: state.nextroot.imageVersion,
    units: state.units,
    inhibitor: state.inhibitor,
    pinnedRoot: state.pinnedRoot ?? Prisma.DbNull,
    containers: state.containers ?? Prisma.DbNull,
    portables: state.portables ?? Prisma.DbNull,
    network: state.network ?? Prisma.DbNull,
    inhibitors: state.inhibitors ?? Prisma.DbNull,
    lastSeenAt: new Date(),
  };
}

type Labels = Record<string, string>;

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * A node connected and said who it is. Its labels are its agent's, under
 * those of its enrollment token (an agent cannot take a label its token set).
 * A changed hostname or label set is audited: labels choose groups, and so
 * rollouts.
 */
export async function applyHello(tx: Tx, nodeId: string, identity: NodeIdentity, state: NodeState) {
  const now = new Date();
  const before = await tx.node.findUniqueOrThrow({
    where: { id: nodeId },
    select: { hostname: true, labels: true, enrollmentLabels: true },
  });
  const labels = { ...identity.labels, ...(before.enrollmentLabels as Labels) };
  const changed = {
    ...(before.hostname !== identity.hostname
      ? { hostname: { before: before.hostname, after: identity.hostname } }
      : {}),
    ...(!sameLabels(before.labels as Labels, labels)
      ? { labels: { before: before.labels as Labels, after: labels } }
      : {}),
  };
  if (Object.keys(changed).length > 0) {
    await tx.auditEntry.create({
      data: {
        actorType: "agent",
        actorName: `agent on ${identity.hostname}`,
        action: "node.identity_changed",
        targetType: "node",
        targetId: nodeId,
        targetName: identity.hostname,
        details: changed,
      },
    });
  }
  await tx.node.update({
    where: { id: nodeId },
    data: {
      hostname: identity.hostname,
      bootId: identity.bootId,
      osId: identity.osRelease.id,
      osVersionId: identity.osRelease.versionId,
      imageId: identity.osRelease.imageId,
      imageVersion: identity.osRelease.imageVersion,
      systemdVersion: identity.systemdVersion,
      agentVersion: identity.agentVersion,
      labels,
      simulated: identity.simulated,
      status: "online",
      connectedAt: now,
      ...stateColumns(state),
    },
  });
  await notifyChange(tx, { entity: "node", id: nodeId, what: "online", status: "online" });
}

export async function applyState(tx: Tx, nodeId: string, state: NodeState) {
  await tx.node.update({ where: { id: nodeId }, data: stateColumns(state) });
  await notifyChange(tx, { entity: "node", id: nodeId, what: "state" });
}

/** The connection ended. A node that announced a shutdown stays "rebooting" until it says hello again. */
export async function markOffline(tx: Tx, nodeId: string) {
  const { count } = await tx.node.updateMany({
    where: { id: nodeId, status: { not: "rebooting" } },
    data: { status: "offline" },
  });
  if (count > 0) await notifyChange(tx, { entity: "node", id: nodeId, what: "offline", status: "offline" });
}

/**
 * Marks offline the nodes whose heartbeats stopped (their control process died
 * without closing their connections), and those that went down to reboot and
 * did not come back, announcing each change.
 */
export async function sweepStaleNodes(tx: Tx, cutoffs: { onlineSince: Date; rebootingSince: Date }) {
  const change = (id: string): Change => ({ entity: "node", id, what: "offline", status: "offline" });
  const stale = await tx.$queryRaw<Array<{ id: string }>>`
    UPDATE "Node" SET status = 'offline', "updatedAt" = now()
    WHERE (status = 'online' AND "lastSeenAt" < ${cutoffs.onlineSince})
       OR (status = 'rebooting' AND "lastSeenAt" < ${cutoffs.rebootingSince})
    RETURNING id`;
  for (const { id } of stale) await notifyChange(tx, change(id));
  return stale.length;
}

/**
 * Stores one agent event once (its id is the key) with its effects, in the
 * caller's transaction. Returns false for a duplicate (already stored: ack it
 * again, change nothing).
 */
export async function storeEvent(tx: Tx, nodeId: string, id: string, event: AgentEvent): Promise<boolean> {
  if (event.type === "shutdown-signal") return storeShutdownSignal(tx, nodeId, id, event);
  const inserted = await tx.$executeRaw`
    INSERT INTO "NodeEvent" (id, "nodeId", type, payload)
    VALUES (${id}, ${nodeId}, ${event.type}, ${JSON.stringify(event)}::jsonb)
    ON CONFLICT ("nodeId", id) DO NOTHING`;
  if (inserted === 0) return false;
  if (event.type === "reboot-record") await storeRebootRecord(tx, nodeId, id, event);
  if (event.type === "stage-result") {
    const { type: _type, commandId, ...result } = event;
    await tx.nodeCommand.updateMany({
      where: { id: commandId, nodeId, type: "stage" },
      data: { result, answeredAt: new Date() },
    });
    await notifyChange(tx, { entity: "command", nodeId, id: commandId, status: result.outcome });
  }
  if (event.type === "command-result") {
    await tx.nodeCommand.updateMany({
      where: { id: event.commandId, nodeId },
      data: { status: event.outcome, reason: event.reason, answeredAt: new Date() },
    });
    await notifyChange(tx, { entity: "command", nodeId, id: event.commandId, status: event.outcome });
  }
  await notifyChange(tx, { entity: "node-event", nodeId, id, type: event.type, at: new Date().toISOString() });
  return true;
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
  const eventChange: Change = { entity: "node-event", nodeId, id, type: event.type, at: new Date().toISOString() };
  const rows = await tx.$queryRaw<Array<{ stored: boolean }>>`
    WITH inserted AS (
      INSERT INTO "NodeEvent" (id, "nodeId", type, payload)
      VALUES (${id}, ${nodeId}, ${event.type}, ${JSON.stringify(event)}::jsonb)
      ON CONFLICT ("nodeId", id) DO NOTHING
      RETURNING id
    ), updated AS (
      UPDATE "Node" SET status = ${status}::"NodeStatus", "updatedAt" = now()
      WHERE id = ${nodeId} AND EXISTS (SELECT 1 FROM inserted)
      RETURNING id
    )
    SELECT true AS stored, pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(nodeChange)}) IS NULL AS a,
           pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(eventChange)}) IS NULL AS b
    FROM updated`;
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

const big = (value: string | null) => (value === null ? null : BigInt(value));

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
  const commandId = command && !alreadyRecorded ? command.id : null;
  await tx.rebootRecord.create({
    data: {
      nodeId,
      eventId,
      kind: record.kind,
      requested: record.requested,
      announced: record.announced ?? null,
      escalated: record.escalated,
      beforeLost: record.beforeLost,
      trigger: triggerOf(commandId ? command : null),
      commandId,
      bootIdBefore: record.bootIdBefore,
      bootIdAfter: record.bootIdAfter,
      softRebootsCountBefore: record.softRebootsCountBefore,
      softRebootsCountAfter: record.softRebootsCountAfter,
      imageVersionBefore: record.imageBefore?.imageVersion ?? null,
      imageVersionAfter: record.imageAfter.imageVersion,
      signalUsec: big(record.phases.signalUsec),
      shutdownStartUsec: big(record.phases.shutdownStartUsec),
      userspaceUsec: big(record.phases.userspaceUsec),
      finishUsec: big(record.phases.finishUsec),
      agentConnectedUsec: BigInt(record.phases.agentConnectedUsec),
      units: record.units,
      blame: record.blame ?? Prisma.DbNull,
      pinnedRoot: record.pinnedRoot ?? Prisma.DbNull,
      clientGaps: record.clientGaps ?? Prisma.DbNull,
      containers: record.containers ?? Prisma.DbNull,
      network: record.network ?? Prisma.DbNull,
    },
  });
}
