import type { AgentEvent } from "@softfleet/protocol";
import { CHANGES_CHANNEL } from "./notify";

/** An event a connection received, to be stored once by its (node, id). */
export interface IncomingEvent {
  nodeId: string;
  id: string;
  event: AgentEvent;
}

/** Events that a batch stores: those with no effect beyond rows a single statement can write. */
export function batchable(event: AgentEvent): boolean {
  return event.type === "shutdown-signal" || event.type === "command-result";
}

/** Runs one statement with one parameter: Prisma's $queryRawUnsafe, or a pg client's query. */
export type RunStatement = (sql: string, json: string) => Promise<Array<{ stored: number[] | null }>>;

/**
 * Stores many agents' events in one statement, each once by its (node, id),
 * with their effects, as storeEvent does one at a time: logind's signal sets
 * its node's status (only for the boot the node is in now), a command's answer
 * answers the command, and each change is announced (NOTIFY, sent at commit).
 * A batch holds at most one event per node (see EventBatch): their effects on
 * one node's row never meet in one statement. Returns, in order, whether each
 * event was stored now (false: it was stored before; ack it again, change
 * nothing).
 */
export async function storeEventBatch(run: RunStatement, events: readonly IncomingEvent[], now = new Date()) {
  if (events.length === 0) return [];
  const at = now.toISOString();
  const rows = events.map(({ nodeId, id, event }, n) => ({
    n,
    nodeId,
    id,
    type: event.type,
    payload: event,
    at,
    ...(event.type === "command-result"
      ? { commandId: event.commandId, outcome: event.outcome, reason: event.reason }
      : event.type === "shutdown-signal"
        ? { bootId: event.bootId, start: event.start }
        : {}),
  }));
  const [result] = await run(BATCH_SQL, JSON.stringify({ now: at, events: rows }));
  const stored = new Set(result?.stored ?? []);
  return events.map((_, n) => stored.has(n));
}

/**
 * One statement: the events inserted once, then, for those stored now, the
 * commands answered and the nodes' statuses set, then every change
 * announced. Timestamps are UTC ISO strings, as Prisma stores them.
 */
const BATCH_SQL = `
  WITH input AS (SELECT $1::jsonb AS j),
  e AS (
    SELECT x.* FROM input, jsonb_to_recordset(input.j->'events') AS x(n int, "nodeId" text, id text, type text,
      payload jsonb, at text, "commandId" text, outcome text, reason text, "bootId" text, start boolean)
  ),
  -- Each event's key first (NodeEventKey: the one unique index over every month of events), then
  -- the events whose key is new.
  keys AS (
    INSERT INTO "NodeEventKey" ("nodeId", id) SELECT "nodeId", id FROM e
    ON CONFLICT DO NOTHING
    RETURNING "nodeId", id
  ),
  inserted AS (
    INSERT INTO "NodeEvent" (id, "nodeId", type, payload)
    SELECT e.id, e."nodeId", e.type, e.payload FROM e JOIN keys USING ("nodeId", id)
    RETURNING "nodeId", id
  ),
  fresh AS (SELECT e.* FROM e JOIN inserted USING ("nodeId", id)),
  answered AS (
    UPDATE "NodeCommand" c SET status = f.outcome::"CommandStatus", reason = f.reason,
      "answeredAt" = (SELECT (j->>'now')::timestamp(3) FROM input)
    FROM fresh f
    WHERE f.type = 'command-result' AND c.id = f."commandId" AND c."nodeId" = f."nodeId"
    RETURNING c.id, c."nodeId", f.outcome
  ),
  signalled AS (
    -- Only a signal of the boot the node is in now changes its status (see storeShutdownSignal).
    UPDATE "Node" n SET status = (CASE WHEN f.start THEN 'rebooting' ELSE 'online' END)::"NodeStatus",
      "updatedAt" = (SELECT (j->>'now')::timestamp(3) FROM input)
    FROM fresh f
    WHERE f.type = 'shutdown-signal' AND n.id = f."nodeId" AND (n."bootId" IS NULL OR n."bootId" = f."bootId")
    RETURNING n.id, CASE WHEN f.start THEN 'rebooting' ELSE 'online' END AS status
  ),
  notices AS (
    SELECT json_build_object('entity', 'node', 'id', id, 'what', 'state', 'status', status)::text AS payload
      FROM signalled
    UNION ALL
    SELECT json_build_object('entity', 'command', 'nodeId', "nodeId", 'id', id, 'status', outcome)::text FROM answered
    UNION ALL
    SELECT json_build_object('entity', 'node-event', 'nodeId', "nodeId", 'id', id, 'type', type, 'at', at)::text
      FROM fresh
  )
  SELECT (SELECT array_agg(n) FROM fresh) AS stored,
         (SELECT count(pg_notify('${CHANGES_CHANNEL}', payload)) FROM notices)::int AS notified`;
