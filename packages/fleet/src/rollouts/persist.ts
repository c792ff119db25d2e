import { randomUUID } from "node:crypto";
import type { Prisma } from "@softfleet/db";
import { isTerminal, type RolloutSnapshot, type TransitionRecord } from "@softfleet/rollout";
import type { StagePayload } from "../commands";
import { CHANGES_CHANNEL, type Change, CONTROL_CHANNEL, type ControlSignal } from "../notify";
import { enqueueWebhookEvents, rolloutEvents } from "../webhooks";
import { type Columns, columns, quotedNames, type TransitionRun, transitionRuns, zipped } from "./columns";
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
  commands: Columns<CommandRow>;
  requireNextroot: boolean;
  nodes: Columns<NodeRow>;
  /** Runs of consecutive transitions alike but for their subject (a batch's 1,000 reboots are one run). */
  transitions: TransitionRun[];
  notify: Array<{ channel: string; payload: string }>;
}

interface CommandRow {
  id: string;
  nodeId: string;
  type: "soft-reboot" | "stage" | "rollback";
  skipInhibitors: boolean;
  /** A stage command's image, a rollback's version (NodeCommand.payload); null for a soft-reboot. */
  payload: StagePayload | { version: string } | null;
}

interface NodeRow {
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
}

const COMMAND_KEYS = ["id", "nodeId", "type", "skipInhibitors", "payload"] as const satisfies ReadonlyArray<
  keyof CommandRow
>;
const NODE_KEYS = [
  "nodeId",
  "status",
  "reason",
  "startedAt",
  "terminal",
  "commandId",
  "bootId",
  "count",
  "imageVersion",
  "rollbackVersion",
  "blockedSince",
  "blockedBy",
] as const satisfies ReadonlyArray<keyof NodeRow>;

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
): Promise<{ commanded: string[]; moved: string[] }> {
  const changes = changesOf(loaded, after, transitions, options);
  await tx.$executeRawUnsafe(WRITE_SQL, JSON.stringify(changes));
  // The rollout's own transitions (rare: a step's node transitions are not events) reach webhooks with it.
  const events = rolloutEvents(
    { id: loaded.snapshot.rollout.id, group: loaded.groupName },
    transitions.map((t) => ({
      ...t,
      actorType: t.actor.kind === "user" ? "user" : "engine",
      actorName: t.actor.kind === "user" ? (options.actorName ?? "a user") : ENGINE_NAME,
    })),
  );
  await enqueueWebhookEvents(tx, events, { now: options.now });
  // Moved: the nodes whose rollout row it wrote (a new status or blocked time).
  return { commanded: changes.commands.nodeId, moved: changes.nodes.nodeId };
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
    commands: columns<CommandRow>([], COMMAND_KEYS),
    requireNextroot: false,
    nodes: columns<NodeRow>([], NODE_KEYS),
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

  // applyActions keeps the nodes in their order: a node is compared with itself at the same place.
  const beforeOf = (i: number, nodeId: string) => {
    const was = before.nodes[i];
    if (was?.nodeId !== nodeId) throw new Error(`node ${nodeId} moved in the rollout's order`);
    return was;
  };
  const reasons = new Map<string, string>();
  for (const t of transitions) if (t.machine === "node") reasons.set(t.subject, t.reason);
  const commands: CommandRow[] = [];
  const nodes: NodeRow[] = [];
  for (const [i, n] of after.nodes.entries()) {
    const was = beforeOf(i, n.nodeId);
    const statusChanged = was.status !== n.status;
    if (!statusChanged && was.blockedSince?.getTime() === n.blockedSince?.getTime()) continue;
    const blockedSince = iso(n.blockedSince);
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
        n.status === "rebooting" || (n.status === "rolling-back" && was.status === "pending")
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
    commands: columns(commands, COMMAND_KEYS),
    requireNextroot: after.rollout.plan.targetImageVersion !== null,
    nodes: columns(nodes, NODE_KEYS),
    transitions: transitionRuns(
      transitions.map((t) => ({
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
    ),
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
  -- The step's scalars, apart: an UPDATE ... FROM carries each FROM row whole with every row it
  -- changes (to recheck it under a concurrent write), and input holds the whole document.
  step AS (
    SELECT input.r, input.r->>'id' AS id, (input.r->>'now')::timestamp(3) AS now, (input.r->>'ended')::boolean AS ended,
      (input.j->>'requireNextroot')::boolean AS "requireNextroot"
    FROM input
  ),
  rollout AS (
    UPDATE "Rollout" ro SET
      status = step.r->>'status',
      "approvedAt" = (step.r->>'approvedAt')::timestamp(3),
      "failuresAcknowledged" = (step.r->>'failuresAcknowledged')::int,
      "statusReason" = CASE WHEN step.r->'statusReason' IS NOT NULL THEN step.r->>'statusReason' ELSE ro."statusReason" END,
      "finishedAt" = COALESCE((step.r->>'finishedAt')::timestamp(3), ro."finishedAt"),
      "wakeAt" = CASE WHEN (step.r->>'setWake')::boolean THEN (step.r->>'wakeAt')::timestamp(3) ELSE ro."wakeAt" END,
      "updatedAt" = (step.r->>'now')::timestamp(3),
      -- Every write of its nodes' statuses counts (see loadRollout's kept statuses).
      revision = ro.revision + 1
    FROM step WHERE ro.id = step.id
  ),
  batch_rows AS (
    SELECT v.* FROM input, jsonb_to_recordset(input.j->'batches')
      AS v(index int, status text, "startedAt" timestamp(3), "finishedAt" timestamp(3))
  ),
  batches AS (
    UPDATE "RolloutBatch" rb SET status = v.status, "startedAt" = v."startedAt", "finishedAt" = v."finishedAt"
    FROM step, batch_rows v
    WHERE rb."rolloutId" = step.id AND rb.index = v.index
  ),
  command_rows AS (
    SELECT c.id, c."nodeId", c.type, c."skipInhibitors"::boolean AS "skipInhibitors",
      NULLIF(c.payload, 'null'::jsonb) AS payload, c.n
    FROM input, ${zipped("commands", COMMAND_KEYS, ["payload"])} WITH ORDINALITY AS c(${quotedNames(COMMAND_KEYS)}, n)
  ),
  commands AS (
    INSERT INTO "NodeCommand"
      (id, "nodeId", type, "requireNextroot", "skipInhibitors", payload, status, "requestedByName", "rolloutId", "requestedAt")
    SELECT c.id, c."nodeId", c.type, c.type = 'soft-reboot' AND step."requireNextroot", c."skipInhibitors",
      c.payload, 'pending', '${ENGINE_NAME}', step.id, step.now
    FROM step, command_rows c
  ),
  commands_audit AS (
    -- The engine's commands are audited with the step that made them, one entry per kind: which nodes, which commands.
    INSERT INTO "AuditEntry" (at, "actorType", "actorName", action, "targetType", "targetId", details)
    SELECT step.now, 'engine', '${ENGINE_NAME}',
      CASE k.type WHEN 'stage' THEN 'rollout.stage_commanded' WHEN 'rollback' THEN 'rollout.rollback_commanded'
        ELSE 'rollout.reboot_commanded' END, 'rollout',
      step.id,
      jsonb_build_object('count', k.count, 'requireNextroot', k.type = 'soft-reboot' AND step."requireNextroot",
        'commands', k.commands)
    FROM step, (
      SELECT c.type, count(*) AS count,
        jsonb_agg(jsonb_build_object('id', c.id, 'nodeId', c."nodeId", 'skipInhibitors', c."skipInhibitors") ORDER BY c.n)
          AS commands
      FROM command_rows c GROUP BY c.type
    ) k
  ),
  node_rows AS (
    SELECT v."nodeId", v.status, v.reason, v."startedAt"::timestamp(3) AS "startedAt", v.terminal::boolean AS terminal,
      v."commandId", v."bootId", v.count::int AS count, v."imageVersion", v."rollbackVersion",
      v."blockedSince"::timestamp(3) AS "blockedSince", v."blockedBy"
    FROM input, ${zipped("nodes", NODE_KEYS)} AS v(${quotedNames(NODE_KEYS)})
  ),
  changed AS (
    UPDATE "RolloutNode" rn SET
      status = v.status,
      -- A node only marked held keeps its reason; a new status brings its own.
      reason = CASE WHEN v.status = rn.status THEN rn.reason ELSE v.reason END,
      "blockedSince" = v."blockedSince",
      "blockedBy" = v."blockedBy",
      "rebootStartedAt" = COALESCE(v."startedAt", rn."rebootStartedAt"),
      "finishedAt" = CASE WHEN v.terminal THEN step.now ELSE rn."finishedAt" END,
      "commandId" = COALESCE(v."commandId", rn."commandId"),
      "bootIdBefore" = CASE WHEN v."commandId" IS NULL THEN rn."bootIdBefore" ELSE v."bootId" END,
      "softRebootsCountBefore" = CASE WHEN v."commandId" IS NULL THEN rn."softRebootsCountBefore" ELSE v.count END,
      "imageVersionBefore" = COALESCE(v."imageVersion", rn."imageVersionBefore"),
      "rollbackVersion" = COALESCE(v."rollbackVersion", rn."rollbackVersion"),
      active = rn.active AND NOT step.ended
    -- The changed rows found by their primary key, not by a scan of the rollout's rows.
    FROM step, node_rows v
    WHERE rn."rolloutId" = (SELECT id FROM step) AND rn."nodeId" = ANY (ARRAY(SELECT "nodeId" FROM node_rows))
      AND rn."nodeId" = v."nodeId"
  ),
  ended AS (
    UPDATE "RolloutNode" rn SET active = false FROM step
    WHERE step.ended AND rn."rolloutId" = step.id AND rn.active
      AND rn."nodeId" NOT IN (SELECT "nodeId" FROM node_rows)
  ),
  transitions AS (
    INSERT INTO "RolloutTransition"
      ("rolloutId", at, machine, subject, "subjectName", "from", "to", reason, "actorType", "actorUserId", "actorName")
    SELECT step.id, g.at, g.machine, t.subject, t.name, g."from", g."to", g.reason, g.actor::"ActorType",
      g."userId", g."actorName"
    FROM input, step, ROWS FROM (jsonb_to_recordset(input.j->'transitions') AS (at timestamp(3), machine text,
        "from" text, "to" text, reason text, actor text, "userId" text, "actorName" text, subjects jsonb, names jsonb))
      WITH ORDINALITY AS g(at, machine, "from", "to", reason, actor, "userId", "actorName", subjects, names, n),
      ROWS FROM (jsonb_array_elements_text(g.subjects), jsonb_array_elements_text(g.names))
      WITH ORDINALITY AS t(subject, name, k)
    ORDER BY g.n, t.k
  )
  SELECT count(pg_notify(x.channel, x.payload))
  FROM input, jsonb_to_recordset(input.j->'notify') AS x(channel text, payload text)`;
