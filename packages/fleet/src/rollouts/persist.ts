import { randomUUID } from "node:crypto";
import type { Prisma } from "@softfleet/db";
import { isTerminal, type RolloutSnapshot, type TransitionRecord } from "@softfleet/rollout";
import type { StagePayload } from "../commands";
import { CHANGES_CHANNEL, type Change, CONTROL_CHANNEL, type ControlSignal } from "../notify";
import type { LoadedRollout } from "./load";

type Tx = Prisma.TransactionClient;

export const ENGINE_NAME = "rollout engine";
/** NOTIFY payloads are limited to 8000 bytes: node ids go in chunks. */
const NOTIFY_CHUNK = 150;

export interface PersistOptions {
  now: Date;
  /** The user's name for user transitions; engine transitions are the engine's. */
  actorName?: string;
  wakeAt?: Date | null;
}

/** Everything one step writes, as the single JSON parameter of WRITE_SQL. */
interface Changes {
  rollout: {
    id: string;
    status: string;
    approvedAt: string | null;
    failuresAcknowledged: number;
    /** Present when a rollout transition gives a new reason. */
    statusReason?: string;
    finishedAt?: string;
    /** Whether wakeAt is written (a user action leaves the engine's timer alone). */
    setWake: boolean;
    wakeAt: string | null;
    /** Over: every node leaves the set of active rollout nodes. */
    ended: boolean;
    now: string;
  };
  batches: Array<{ index: number; status: string; startedAt: string | null; finishedAt: string | null }>;
  commands: Array<{
    id: string;
    nodeId: string;
    type: "soft-reboot" | "stage" | "rollback";
    skipInhibitors: boolean;
    /** A stage command's image, a rollback's version (NodeCommand.payload); null for a soft-reboot. */
    payload: StagePayload | { version: string } | null;
  }>;
  requireNextroot: boolean;
  nodes: Array<{
    nodeId: string;
    status: string;
    reason: string | null;
    startedAt: string | null;
    terminal: boolean;
    commandId: string | null;
    bootId: string | null;
    count: number | null;
    imageVersion: string | null;
    rollbackVersion: string | null;
    blockedSince: string | null;
    blockedBy: string | null;
  }>;
  transitions: Array<{
    at: string;
    machine: string;
    subject: string;
    name: string;
    from: string;
    to: string;
    reason: string;
    actor: "user" | "engine";
    userId: string | null;
    actorName: string;
  }>;
  notify: Array<{ channel: string; payload: string }>;
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/**
 * Writes what changed between the loaded snapshot and `after` (from
 * @softfleet/rollout's applyActions), with its transitions, in the caller's
 * transaction. Nodes that start rebooting get their soft-reboot command here,
 * in the same statement as their new status: a node is commanded exactly when
 * it is recorded as rebooting, whatever process dies when. One statement
 * whatever the number of nodes, so a batch of 100 costs one round trip.
 */
export async function persistRollout(
  tx: Tx,
  loaded: LoadedRollout,
  after: RolloutSnapshot,
  transitions: readonly TransitionRecord[],
  options: PersistOptions,
): Promise<{ commanded: string[] }> {
  const changes = changesOf(loaded, after, transitions, options);
  await tx.$executeRawUnsafe(WRITE_SQL, JSON.stringify(changes));
  return { commanded: changes.commands.map((c) => c.nodeId) };
}

/** Runs the write statement once with nothing to write (see warmUpLoad). */
export async function warmUpWrite(tx: Tx): Promise<void> {
  const nothing: Changes = {
    rollout: {
      id: "",
      status: "running",
      approvedAt: null,
      failuresAcknowledged: 0,
      setWake: false,
      wakeAt: null,
      ended: false,
      now: new Date().toISOString(),
    },
    batches: [],
    commands: [],
    requireNextroot: false,
    nodes: [],
    transitions: [],
    notify: [],
  };
  await tx.$executeRawUnsafe(WRITE_SQL, JSON.stringify(nothing));
}

/** The rows to write: plain data, computed without the database. */
function changesOf(
  loaded: LoadedRollout,
  after: RolloutSnapshot,
  transitions: readonly TransitionRecord[],
  options: PersistOptions,
): Changes {
  const before = loaded.snapshot;
  const { now } = options;
  const rolloutId = before.rollout.id;
  // Over once terminal with nothing in flight or waiting: an aborted rollout's reboots under way finish first.
  const over = (snapshot: RolloutSnapshot) =>
    isTerminal("rollout", snapshot.rollout.status) &&
    snapshot.nodes.every((n) => !["rebooting", "rolling-back", "pending", "staging", "staged"].includes(n.status));
  const ended = over(after);
  const plan = after.rollout.plan;
  const stagePayload: StagePayload | null =
    plan.image && plan.targetImageVersion
      ? {
          version: plan.targetImageVersion,
          url: plan.image.url,
          sha256: plan.image.sha256,
          bandwidthBytesPerSec:
            plan.staging.bandwidthMBps === null ? null : Math.round(plan.staging.bandwidthMBps * 1e6),
        }
      : null;
  const lastRolloutTransition = [...transitions].reverse().find((t) => t.machine === "rollout");

  const batchBefore = new Map(before.batches.map((b) => [b.index, b.status]));
  const batches = after.batches
    .filter((batch) => batchBefore.get(batch.index) !== batch.status)
    .map((b) => ({ index: b.index, status: b.status, startedAt: iso(b.startedAt), finishedAt: iso(b.finishedAt) }));

  const statusBefore = new Map(before.nodes.map((n) => [n.nodeId, n.status]));
  const blockedBefore = new Map(before.nodes.map((n) => [n.nodeId, iso(n.blockedSince)]));
  const reasons = new Map<string, string>();
  for (const t of transitions) if (t.machine === "node") reasons.set(t.subject, t.reason);
  const commands: Changes["commands"] = [];
  const nodes: Changes["nodes"] = [];
  for (const n of after.nodes) {
    const blockedSince = iso(n.blockedSince);
    const statusChanged = statusBefore.get(n.nodeId) !== n.status;
    if (!statusChanged && blockedBefore.get(n.nodeId) === blockedSince) continue;
    const rollback = n.status === "rolling-back" && n.rollbackVersion ? n.rollbackVersion : null;
    const commanded =
      statusChanged &&
      (n.status === "rebooting" || rollback !== null || (n.status === "staging" && stagePayload !== null));
    const commandId = commanded ? randomUUID() : null;
    const rebootCommand = commandId !== null && n.status !== "staging";
    if (commandId) {
      const stage = n.status === "staging";
      commands.push({
        id: commandId,
        nodeId: n.nodeId,
        type: stage ? "stage" : rollback ? "rollback" : "soft-reboot",
        skipInhibitors: n.status !== "staging" && n.skipInhibitors === true,
        payload: stage ? stagePayload : rollback ? { version: rollback } : null,
      });
    }
    nodes.push({
      nodeId: n.nodeId,
      status: n.status,
      reason: reasons.get(n.nodeId) ?? null,
      startedAt: n.status === "rebooting" || n.status === "rolling-back" ? iso(n.rebootStartedAt) : null,
      terminal: isTerminal("node", n.status),
      commandId,
      // A reboot or a rollback is judged against the boot it started from; a stage command has none.
      bootId: rebootCommand ? (n.before?.bootId ?? null) : null,
      count: rebootCommand ? (n.before?.softRebootsCount ?? null) : null,
      // The image it ran before this rollout touched it (a rollback after a failed gate keeps the first one).
      imageVersion:
        n.status === "rebooting" || (n.status === "rolling-back" && statusBefore.get(n.nodeId) === "pending")
          ? (n.before?.imageVersion ?? null)
          : null,
      rollbackVersion: n.rollbackVersion ?? null,
      blockedSince,
      blockedBy: n.blockedBy ?? null,
    });
  }

  const names = subjectNames(loaded);
  const notify: Changes["notify"] = [];
  if (transitions.length > 0) {
    const change: Change = { entity: "rollout", id: rolloutId, status: after.rollout.status };
    notify.push({ channel: CHANGES_CHANNEL, payload: JSON.stringify(change) });
  }
  for (let i = 0; i < commands.length; i += NOTIFY_CHUNK) {
    const signal: ControlSignal = {
      kind: "commands",
      nodeIds: commands.slice(i, i + NOTIFY_CHUNK).map((c) => c.nodeId),
    };
    notify.push({ channel: CONTROL_CHANNEL, payload: JSON.stringify(signal) });
  }

  return {
    rollout: {
      id: rolloutId,
      status: after.rollout.status,
      approvedAt: iso(after.rollout.approvedAt),
      failuresAcknowledged: after.rollout.failuresAcknowledged,
      ...(lastRolloutTransition ? { statusReason: lastRolloutTransition.reason } : {}),
      ...(ended && !over(before) ? { finishedAt: now.toISOString() } : {}),
      setWake: options.wakeAt !== undefined,
      wakeAt: iso(options.wakeAt),
      ended,
      now: now.toISOString(),
    },
    batches,
    commands,
    requireNextroot: after.rollout.plan.targetImageVersion !== null,
    nodes,
    transitions: transitions.map((t) => ({
      at: t.at.toISOString(),
      machine: t.machine,
      subject: t.subject,
      name: names(t),
      from: t.from,
      to: t.to,
      reason: t.reason,
      actor: t.actor.kind === "user" ? "user" : "engine",
      userId: t.actor.kind === "user" ? t.actor.userId : null,
      actorName: t.actor.kind === "user" ? (options.actorName ?? "a user") : ENGINE_NAME,
    })),
    notify,
  };
}

/** For people: a node's hostname, "canary" or "batch 2", the group's name for the rollout. */
function subjectNames(loaded: LoadedRollout): (t: TransitionRecord) => string {
  const kinds = new Map(loaded.snapshot.batches.map((b) => [String(b.index), b.kind]));
  const hasCanary = [...kinds.values()].includes("canary");
  return (t) => {
    if (t.machine === "node") return loaded.hostnames.get(t.subject) ?? t.subject;
    if (t.machine === "batch") {
      return kinds.get(t.subject) === "canary" ? "canary" : `batch ${Number(t.subject) + (hasCanary ? 0 : 1)}`;
    }
    return loaded.groupName;
  };
}

/**
 * One statement: data-modifying CTEs over the JSON of `Changes`, each on its
 * own rows (the changed nodes and, when the rollout ends, the other active
 * ones are disjoint), then the notifications (sent at commit, and only then).
 * Timestamps are UTC ISO strings, as Prisma stores them.
 */
const WRITE_SQL = `
  WITH input AS (SELECT j, j->'rollout' AS r FROM (SELECT $1::jsonb AS j) x),
  rollout AS (
    UPDATE "Rollout" ro SET
      status = input.r->>'status',
      "approvedAt" = (input.r->>'approvedAt')::timestamp(3),
      "failuresAcknowledged" = (input.r->>'failuresAcknowledged')::int,
      "statusReason" = CASE WHEN input.r->'statusReason' IS NOT NULL THEN input.r->>'statusReason' ELSE ro."statusReason" END,
      "finishedAt" = COALESCE((input.r->>'finishedAt')::timestamp(3), ro."finishedAt"),
      "wakeAt" = CASE WHEN (input.r->>'setWake')::boolean THEN (input.r->>'wakeAt')::timestamp(3) ELSE ro."wakeAt" END,
      "updatedAt" = (input.r->>'now')::timestamp(3)
    FROM input WHERE ro.id = input.r->>'id'
  ),
  batches AS (
    UPDATE "RolloutBatch" rb SET status = v.status, "startedAt" = v."startedAt", "finishedAt" = v."finishedAt"
    FROM input, jsonb_to_recordset(input.j->'batches')
      AS v(index int, status text, "startedAt" timestamp(3), "finishedAt" timestamp(3))
    WHERE rb."rolloutId" = input.r->>'id' AND rb.index = v.index
  ),
  commands AS (
    INSERT INTO "NodeCommand"
      (id, "nodeId", type, "requireNextroot", "skipInhibitors", payload, status, "requestedByName", "rolloutId", "requestedAt")
    SELECT c.id, c."nodeId", c.type, c.type = 'soft-reboot' AND (input.j->>'requireNextroot')::boolean, c."skipInhibitors",
      c.payload, 'pending', '${ENGINE_NAME}', input.r->>'id', (input.r->>'now')::timestamp(3)
    FROM input, jsonb_to_recordset(input.j->'commands')
      AS c(id text, "nodeId" text, type text, "skipInhibitors" boolean, payload jsonb)
  ),
  commands_audit AS (
    -- The engine's commands are audited with the step that made them, one entry per kind: which nodes, which commands.
    INSERT INTO "AuditEntry" (at, "actorType", "actorName", action, "targetType", "targetId", details)
    SELECT (input.r->>'now')::timestamp(3), 'engine', '${ENGINE_NAME}',
      CASE k.type WHEN 'stage' THEN 'rollout.stage_commanded' WHEN 'rollback' THEN 'rollout.rollback_commanded'
        ELSE 'rollout.reboot_commanded' END, 'rollout',
      input.r->>'id',
      jsonb_build_object('count', k.count, 'requireNextroot', k.type = 'soft-reboot' AND (input.j->>'requireNextroot')::boolean,
        'commands', k.commands)
    FROM input, (
      SELECT c->>'type' AS type, count(*) AS count,
        jsonb_agg(jsonb_build_object('id', c->'id', 'nodeId', c->'nodeId', 'skipInhibitors', c->'skipInhibitors')) AS commands
      FROM input i2, jsonb_array_elements(i2.j->'commands') c GROUP BY c->>'type'
    ) k
  ),
  changed AS (
    UPDATE "RolloutNode" rn SET
      status = v.status,
      -- A node only marked held keeps its reason; a new status brings its own.
      reason = CASE WHEN v.status = rn.status THEN rn.reason ELSE v.reason END,
      "blockedSince" = v."blockedSince",
      "blockedBy" = v."blockedBy",
      "rebootStartedAt" = COALESCE(v."startedAt", rn."rebootStartedAt"),
      "finishedAt" = CASE WHEN v.terminal THEN (input.r->>'now')::timestamp(3) ELSE rn."finishedAt" END,
      "commandId" = COALESCE(v."commandId", rn."commandId"),
      "bootIdBefore" = CASE WHEN v."commandId" IS NULL THEN rn."bootIdBefore" ELSE v."bootId" END,
      "softRebootsCountBefore" = CASE WHEN v."commandId" IS NULL THEN rn."softRebootsCountBefore" ELSE v.count END,
      "imageVersionBefore" = COALESCE(v."imageVersion", rn."imageVersionBefore"),
      "rollbackVersion" = COALESCE(v."rollbackVersion", rn."rollbackVersion"),
      active = rn.active AND NOT (input.r->>'ended')::boolean
    FROM input, jsonb_to_recordset(input.j->'nodes') AS v("nodeId" text, status text, reason text,
      "startedAt" timestamp(3), terminal boolean, "commandId" text, "bootId" text, count int,
      "blockedSince" timestamp(3), "blockedBy" text, "imageVersion" text, "rollbackVersion" text)
    WHERE rn."rolloutId" = input.r->>'id' AND rn."nodeId" = v."nodeId"
  ),
  changed_ids AS (SELECT e->>'nodeId' AS "nodeId" FROM input, jsonb_array_elements(input.j->'nodes') e),
  ended AS (
    UPDATE "RolloutNode" rn SET active = false FROM input
    WHERE (input.r->>'ended')::boolean AND rn."rolloutId" = input.r->>'id' AND rn.active
      AND rn."nodeId" NOT IN (SELECT "nodeId" FROM changed_ids)
  ),
  transitions AS (
    INSERT INTO "RolloutTransition"
      ("rolloutId", at, machine, subject, "subjectName", "from", "to", reason, "actorType", "actorUserId", "actorName")
    SELECT input.r->>'id', t.at, t.machine, t.subject, t.name, t."from", t."to", t.reason, t.actor::"ActorType",
      t."userId", t."actorName"
    FROM input, ROWS FROM (jsonb_to_recordset(input.j->'transitions') AS (at timestamp(3), machine text,
      subject text, name text, "from" text, "to" text, reason text, actor text, "userId" text, "actorName" text))
      WITH ORDINALITY AS t(at, machine, subject, name, "from", "to", reason, actor, "userId", "actorName", n)
    ORDER BY t.n
  )
  SELECT count(pg_notify(x.channel, x.payload))
  FROM input, jsonb_to_recordset(input.j->'notify') AS x(channel text, payload text)`;
