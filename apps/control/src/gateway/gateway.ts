import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { type Db, parseDatabaseUrl } from "@softfleet/db";
import {
  CONTROL_CHANNEL,
  type ControlSignal,
  connectedNodesToReconcile,
  controlSignalSchema,
  type IncomingEvent,
  type RunStatement,
  storeEvent,
  storeEventBatch,
  sweepStaleNodes,
} from "@softfleet/fleet";
import { AGENT_WS_PATH, CloseCode, ENROLL_PATH, MAX_FRAME_BYTES } from "@softfleet/protocol";
import pg from "pg";
import { WebSocketServer } from "ws";
import { registerGatewayGauges } from "../metrics/gateway-metrics";
import type { ControlMetrics } from "../metrics/metrics";
import type { ControlServer } from "../server";
import { AuditThrottle } from "./audit-throttle";
import { type AuthFailure, authenticate } from "./authenticate";
import { handleEnroll } from "./enroll";
import { EventBatch, MAX_BATCH } from "./event-batch";
import { DEFAULT_FLOOD_LIMITS, type FloodLimits, PerMinute } from "./flood";
import { clientAddress, refuseUpgrade, requestPath, sendJson } from "./http";
import { listen } from "./listen";
import { PresenceWriter } from "./presence";
import { AgentSession } from "./session";

/** Batches of agents' events (command answers and the like) written at once, each on its own connection. */
const EVENT_LANE_PARALLEL = 3;

export interface GatewayOptions {
  databaseUrl: string;
  heartbeatSec?: number;
  /** How often heartbeats are written, for all nodes in one statement (default: half the heartbeat interval). */
  presenceWriteMs?: number;
  helloTimeoutMs?: number;
  /** Flood limits per connection and node (defaults: DEFAULT_FLOOD_LIMITS). */
  limits?: Partial<FloodLimits>;
  /** How often connected nodes are checked for commands and revocations a lost NOTIFY did not bring. */
  reconcileMs?: number;
  log?: (line: string) => void;
  /** Where the gateway's counts go (/metrics); none: not counted. */
  metrics?: ControlMetrics;
}

/**
 * The agents' side of the control plane: enrollment over HTTP and one
 * WebSocket per node on its own path. Commands and revocations reach it from
 * any process through Postgres NOTIFY.
 */
export async function attachGateway(server: ControlServer, db: Db, options: GatewayOptions) {
  const log = options.log ?? ((line: string) => console.error(`[control] ${line}`));
  const heartbeatSec = options.heartbeatSec ?? 10;
  const sessions = new Map<string, AgentSession>();
  /** Set by close(): the connections it closes are no node going offline (see markGone). */
  let shuttingDown = false;
  /** Each connected node with the hash of the credential its session connected with. */
  const credentialsInUse = (nodeIds: Iterable<string> = sessions.keys()) =>
    new Map([...nodeIds].map((nodeId) => [nodeId, sessions.get(nodeId)?.credentialHash ?? null]));
  // Work still running when the gateway closes (marking nodes offline) is awaited by close().
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const auditThrottle = new AuditThrottle();
  const limits = { ...DEFAULT_FLOOD_LIMITS, ...options.limits };
  const nodeEvents = new PerMinute(limits.eventsPerMinute);
  const presence = new PresenceWriter(db, { intervalMs: options.presenceWriteMs ?? heartbeatSec * 500, log }).start();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  // Batches are written on connections of their own (plain pg: a batch is one statement with one
  // JSON parameter, which Prisma's engine would only copy), a few per lane. logind's signals hold a
  // node's shutdown until they are acked: their lane is never kept waiting by a fleet's hellos and
  // events (on Prisma's pool) nor by the other events' batches.
  const lane = (name: string, parallel: number) => {
    const connection = new pg.Pool({
      ...parseDatabaseUrl(options.databaseUrl),
      max: parallel,
      application_name: `softfleet-control ${name} lane`,
    });
    connection.on("error", (error) => log(`the ${name} lane's connection failed: ${error.message}`));
    // Named: each connection plans it once (its one parameter is the batch's JSON), not at every batch.
    const run: RunStatement = async (sql, json) =>
      (await connection.query({ name: "event-batch", text: sql, values: [json] })).rows;
    const alone = (e: IncomingEvent) => db.$transaction((tx) => storeEvent(tx, e.nodeId, e.id, e.event));
    return {
      connection,
      batch: new EventBatch((events) => storeEventBatch(run, events), alone, MAX_BATCH, parallel),
    };
  };
  // A batch is one statement, which uses one of the database's cores: a few at once use more of them.
  const signals = lane("signal", 2);
  const answers = lane("event", EVENT_LANE_PARALLEL);
  const storeBatched = (e: IncomingEvent) => (e.event.type === "shutdown-signal" ? signals : answers).batch.store(e);
  if (options.metrics) {
    registerGatewayGauges(options.metrics.registry, {
      connections: () => {
        let greeted = 0;
        for (const session of sessions.values()) if (session.isGreeted) greeted += 1;
        return { open: sessions.size, greeted };
      },
      lanes: () =>
        (
          [
            ["signal", signals],
            ["event", answers],
          ] as const
        ).map(([lane, { connection, batch }]) => ({
          lane,
          backlog: batch.backlog,
          total: connection.totalCount,
          idle: connection.idleCount,
          waiting: connection.waitingCount,
        })),
    });
  }

  server.route(ENROLL_PATH, (req, res) => {
    if (req.method !== "POST") return sendJson(res, 405, { error: `use POST for ${ENROLL_PATH}` });
    void handleEnroll(db, req, res, auditThrottle);
  });
  server.route(AGENT_WS_PATH, (_req, res) =>
    sendJson(res, 426, { error: `${AGENT_WS_PATH} is a WebSocket endpoint: connect with Upgrade: websocket` }),
  );

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Until ws takes the socket, nothing else listens for its errors: a reset must not be thrown.
    socket.on("error", () => socket.destroy());
    void (async () => {
      const path = requestPath(req);
      if (path === null) return refuseUpgrade(socket, 400, "the request target is not a valid path");
      if (path !== AGENT_WS_PATH)
        return refuseUpgrade(socket, 404, `no WebSocket endpoint at ${path}; agents use ${AGENT_WS_PATH}`);
      const node = await authenticate(db, req.headers.authorization);
      if ("error" in node) {
        refuseUpgrade(socket, 401, node.error);
        return void auditAuthFailure(db, auditThrottle, clientAddress(req), node).catch((error: Error) =>
          log(`auditing a refused connection failed: ${error.message}`),
        );
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const session = new AgentSession(node.id, node.machineId, node.credentialHash, ws, db, {
          heartbeatSec,
          helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
          log,
          limits,
          nodeEvents,
          presence,
          storeBatched,
          metrics: options.metrics?.gateway,
        });
        sessions.get(node.id)?.close(CloseCode.replaced, "replaced by a newer connection of the same node");
        sessions.set(node.id, session);
        ws.on("error", (error) => log(`node ${node.id}: ${error.message}`));
        ws.on("close", () => {
          if (sessions.get(node.id) !== session) return;
          sessions.delete(node.id);
          track(
            session
              // Connections control closes to shut down are not nodes going offline: no webhook for each.
              .markGone({ webhook: !shuttingDown })
              .catch((error: Error) => log(`node ${node.id}: marking offline failed: ${error.message}`)),
          );
        });
      });
    })().catch((error: Error) => {
      log(`upgrade failed: ${error.message}`);
      refuseUpgrade(socket, 500, "the server could not check the credential; retry");
    });
  });

  const onSignal = (signal: ControlSignal) => {
    if (signal.kind === "rollout") return;
    if (signal.kind === "commands") {
      for (const nodeId of signal.nodeIds) deliver(sessions.get(nodeId));
      return;
    }
    const session = sessions.get(signal.nodeId);
    if (!session) return;
    if (signal.kind === "revoked") session.close(CloseCode.revoked, "this node was revoked by an admin");
    if (signal.kind === "command") deliver(session);
    if (signal.kind === "rekeyed") track(reconcileNodes(credentialsInUse([signal.nodeId])));
  };
  const deliver = (session: AgentSession | undefined) =>
    void session?.deliverCommands().catch((error: Error) => log(`node ${session.nodeId}: ${error.message}`));

  /** Acts on what the database says of connected nodes: revoked or deleted, re-keyed, commands waiting. */
  const reconcileNodes = (connected: ReadonlyMap<string, string | null>) =>
    connectedNodesToReconcile(db, connected)
      .then(({ cutOff, rekeyed, withPendingCommands }) => {
        for (const nodeId of cutOff)
          sessions.get(nodeId)?.close(CloseCode.revoked, "this node was revoked or deleted by an admin");
        for (const nodeId of rekeyed) {
          // Only the session made with the credential checked: a newer one may have replaced it meanwhile.
          if (sessions.get(nodeId)?.credentialHash !== connected.get(nodeId)) continue;
          sessions
            .get(nodeId)
            ?.close(CloseCode.rekeyed, "the node's credential was replaced; connect with the new one");
        }
        for (const nodeId of withPendingCommands) deliver(sessions.get(nodeId));
      })
      .catch((error: Error) => log(`reconciling connected nodes failed: ${error.message}`));

  /** What a NOTIFY lost in a LISTEN gap would have said: pending commands, revoked, deleted or re-keyed nodes. */
  let reconciling = false;
  const reconcile = () => {
    if (reconciling || sessions.size === 0) return;
    reconciling = true;
    track(
      reconcileNodes(credentialsInUse()).finally(() => {
        reconciling = false;
      }),
    );
  };

  const listener = await listen(options.databaseUrl, CONTROL_CHANNEL, {
    schema: controlSignalSchema,
    onMessage: onSignal,
    onListening: reconcile,
    log,
  });
  const reconciler = setInterval(reconcile, options.reconcileMs ?? 5_000);
  reconciler.unref();

  // A control process that died left its nodes "online": heartbeats tell.
  const sweeper = setInterval(() => {
    const cutoff = new Date(Date.now() - heartbeatSec * 3_000);
    // A node that went down to reboot and has not come back within 5 minutes is just offline.
    const rebootCutoff = new Date(Date.now() - 5 * 60_000);
    void db
      .$transaction((tx) => sweepStaleNodes(tx, { onlineSince: cutoff, rebootingSince: rebootCutoff }))
      .catch((error: Error) => log(`offline sweep failed: ${error.message}`));
  }, heartbeatSec * 1000);
  sweeper.unref();

  return {
    sessions,
    presence,
    async close() {
      shuttingDown = true;
      clearInterval(sweeper);
      clearInterval(reconciler);
      await listener.close();
      const closing = [...sessions.values()].map(
        (session) =>
          new Promise<void>((resolve) => {
            session.socket.once("close", () => resolve());
            session.close(CloseCode.goingAway, "the control plane is shutting down");
          }),
      );
      await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 3_000))]);
      // Agents that did not answer the close in time are cut off: the HTTP server waits for every socket.
      for (const session of sessions.values()) session.socket.terminate();
      wss.close();
      await Promise.all(inFlight);
      for (const { batch, connection } of [signals, answers]) {
        batch.close();
        await connection.end();
      }
      // The heartbeats heard last are written, so that the next process sees these nodes' last contact.
      await presence.close();
    },
  };
}

/** A refused agent connection, audited: one row per source address a minute, with the count left out. */
async function auditAuthFailure(db: Db, throttle: AuditThrottle, sourceIp: string | null, failure: AuthFailure) {
  const admitted = throttle.admit(`auth:${sourceIp}`);
  if (!admitted) return;
  await db.auditEntry.create({
    data: {
      actorType: "agent",
      actorName: "unauthenticated agent",
      action: "node.auth_failed",
      targetType: failure.nodeId ? "node" : null,
      targetId: failure.nodeId,
      details: { reason: failure.error, ...(admitted.suppressed ? { failedBeforeUnlogged: admitted.suppressed } : {}) },
      sourceIp,
    },
  });
}
