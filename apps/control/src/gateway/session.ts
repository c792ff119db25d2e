import type { Db } from "@softfleet/db";
import {
  agentCommandOf,
  applyHello,
  applyStageProgress,
  applyState,
  batchable,
  commandsToSend,
  type IncomingEvent,
  markOffline,
  storeEvent,
} from "@softfleet/fleet";
import {
  type AgentMessage,
  agentMessage,
  CloseCode,
  EVENT_NOT_STORED,
  messageId,
  PROTOCOL_VERSION,
  parseFrame,
  type ServerMessage,
} from "@softfleet/protocol";
import type { WebSocket } from "ws";
import { z } from "zod";
import type { GatewayMetrics } from "../metrics/gateway-metrics";
import { ConnectionFlood, type FloodLimits, type PerMinute } from "./flood";
import type { PresenceWriter } from "./presence";

export interface SessionOptions {
  heartbeatSec: number;
  helloTimeoutMs: number;
  log: (line: string) => void;
  limits: FloodLimits;
  /** Events per node and minute, shared by the gateway's sessions (a node may reconnect to reset its own). */
  nodeEvents: PerMinute;
  /** Heartbeats, written for all nodes at once. */
  presence: PresenceWriter;
  /** Stores a batchable event with other connections' (see EventBatch); resolves once it is durable. */
  storeBatched: (event: IncomingEvent) => Promise<boolean>;
  /** Counts messages, events and acks for /metrics. */
  metrics?: GatewayMetrics;
}

const MAX_BAD_FRAMES = 10;
/**
 * A whole fleet reconnecting at once (a control process restarted) queues
 * its hellos for the database's few connections: each may wait its turn
 * rather than fail after Prisma's default 2 s.
 */
const TX = { maxWait: 30_000, timeout: 30_000 };

/**
 * One agent's connection, after its credential was checked. The first frame
 * must be `hello` naming the credential's own machine; then events are stored
 * once each and acknowledged, state updates the node, and pending commands
 * are delivered.
 */
export class AgentSession {
  private greeted = false;
  /** Commands sent on this connection and not answered yet when last looked at. */
  private sentHere = new Set<string>();
  private delivering: Promise<void> = Promise.resolve();
  private badFrames = 0;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Cut off for passing a limit: what it still had queued is dropped. */
  private wasCutOff = false;
  private helloSeen = false;
  /** When this connection's hello was stored (null until then). */
  private connectedAt: Date | null = null;
  private lastProgress: { phase: string; at: number } = { phase: "", at: 0 };
  private readonly flood: ConnectionFlood;
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    readonly nodeId: string,
    private readonly machineId: string,
    /** The hash of the credential it connected with: a re-key ends the sessions of the old one. */
    readonly credentialHash: string | null,
    readonly socket: WebSocket,
    private readonly db: Db,
    private readonly options: SessionOptions,
  ) {
    this.helloTimer = setTimeout(
      () => this.close(CloseCode.policyViolation, "send hello first, within 10 s of connecting"),
      options.helloTimeoutMs,
    );
    this.flood = new ConnectionFlood(options.limits);
    socket.on("message", (data, isBinary) => {
      const buffer = data as Buffer;
      const receivedAt = performance.now();
      const flooding = this.flood.admitFrame(buffer.length);
      if (flooding) return this.cutOff(CloseCode.policyViolation, `flood: ${flooding}`);
      // Reading pauses while the database works through a backlog (a spool replay); frames that
      // were already read past twice that mean the client ignores the pause: cut off.
      if (++this.queued >= options.limits.maxQueued * 2) {
        return this.cutOff(CloseCode.tryAgainLater, `flood: over ${options.limits.maxQueued * 2} frames waiting`);
      }
      if (this.queued >= options.limits.maxQueued && !socket.isPaused) socket.pause();
      // Frames are handled one at a time, in order: an ack never overtakes its event.
      this.queue = this.queue
        .then(() => this.onFrame(buffer, isBinary, receivedAt))
        .catch((error: Error) => {
          options.log(`node ${nodeId}: ${error.message}`);
          this.send({
            kind: "error",
            v: PROTOCOL_VERSION,
            code: "server-error",
            message: "the server could not store that; retry",
            ref: null,
          });
        })
        .finally(() => {
          this.queued -= 1;
          if (socket.isPaused && this.queued <= options.limits.maxQueued / 2) socket.resume();
        });
    });
    socket.on("close", () => clearTimeout(this.helloTimer));
  }

  send(message: ServerMessage) {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(code: number, reason: string) {
    this.socket.close(code, reason);
  }

  /** Ends a connection that passed a limit: at once, dropping what it queued (nothing of it was acked). */
  private cutOff(code: number, reason: string) {
    this.wasCutOff = true;
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.options.log(`node ${this.nodeId}: closing its connection: ${reason}`);
    this.socket.close(code, reason.slice(0, 120));
    setTimeout(() => this.socket.terminate(), 1_000).unref();
  }

  private get open() {
    return this.socket.readyState === this.socket.OPEN;
  }

  get isGreeted() {
    return this.greeted;
  }

  private refuse(code: string, message: string, ref: string | null = null) {
    this.send({ kind: "error", v: PROTOCOL_VERSION, code, message, ref });
    this.badFrames += 1;
    if (this.badFrames >= MAX_BAD_FRAMES) this.close(CloseCode.policyViolation, `${MAX_BAD_FRAMES} invalid frames`);
  }

  /** Refuses an event for good: the reason, then the ack that lets the agent drop it from its spool. */
  private refuseEvent(id: string, code: string, reason: string) {
    this.options.log(`node ${this.nodeId}: event ${id} refused for good (${code}): ${reason.slice(0, 300)}`);
    this.send({ kind: "error", v: PROTOCOL_VERSION, code, message: reason.slice(0, 2000), ref: id });
    this.send({ kind: "ack", v: PROTOCOL_VERSION, ids: [id] });
    this.badFrames += 1;
    if (this.badFrames >= MAX_BAD_FRAMES) this.close(CloseCode.policyViolation, `${MAX_BAD_FRAMES} invalid frames`);
  }

  private async onFrame(data: Buffer, isBinary: boolean, receivedAt: number) {
    const metrics = this.options.metrics;
    if (isBinary) {
      metrics?.message("invalid");
      return this.refuse("binary", "frames must be JSON text");
    }
    const parsed = parseFrame(agentMessage, data);
    metrics?.message(parsed.ok ? parsed.message.kind : "invalid");
    if (!parsed.ok) {
      // An event the agent spooled but that can never be valid: acked, with the reason, so it is not replayed for ever.
      const eventId = this.greeted ? spooledEventId(data) : null;
      if (eventId) return this.refuseEvent(eventId, "invalid-event", parsed.error);
      return this.refuse(parsed.code, parsed.error);
    }
    const message = parsed.message;
    // A connection cut off for flooding stores nothing more of what it had queued. Otherwise an
    // event that arrived before its connection closed is still stored (by its id, so a replay is
    // not doubled): a host that goes down right after its shutdown signal has no later chance to
    // send it. A hello, state or heartbeat of a closed connection would only make it look alive.
    if (this.wasCutOff || (!this.open && message.kind !== "event")) return;
    if (!this.greeted && message.kind !== "hello") return this.refuse("hello-first", "the first message must be hello");
    if (message.kind === "hello") {
      if (this.helloSeen) return this.cutOff(CloseCode.policyViolation, "one hello per connection");
      this.helloSeen = true;
    }
    if (message.kind === "state") {
      const flooding = this.flood.admitState();
      if (flooding) return this.cutOff(CloseCode.policyViolation, `flood: ${flooding}`);
    }
    if (message.kind === "event" && !this.options.nodeEvents.take(this.nodeId)) {
      // Not acked: the agent keeps it spooled and sends it again after reconnecting.
      return this.cutOff(
        CloseCode.tryAgainLater,
        `flood: more than ${this.options.limits.eventsPerMinute} events a minute from this node`,
      );
    }
    await this.handle(message, receivedAt);
  }

  private async handle(message: AgentMessage, receivedAt: number) {
    switch (message.kind) {
      case "hello": {
        if (message.identity.machineId !== this.machineId) {
          this.options.log(`node ${this.nodeId}: credential used for machine ${message.identity.machineId}`);
          return this.close(
            CloseCode.policyViolation,
            `this credential belongs to machine ${this.machineId}, not ${message.identity.machineId}`,
          );
        }
        clearTimeout(this.helloTimer);
        let hello: { commandsWaiting: boolean };
        try {
          const connectedAt = new Date();
          hello = await applyHello(this.db, this.nodeId, message.identity, message.state, connectedAt);
          this.connectedAt = connectedAt;
        } catch (error) {
          // Not greeted, the agent would wait for a welcome that never comes: it must come back later.
          this.options.log(`node ${this.nodeId}: cannot store its hello: ${(error as Error).message}`);
          return this.close(CloseCode.tryAgainLater, "the server is busy; reconnect later");
        }
        this.greeted = true;
        this.send({
          kind: "welcome",
          v: PROTOCOL_VERSION,
          nodeId: this.nodeId,
          heartbeatSec: this.options.heartbeatSec,
        });
        // Most connections have nothing waiting: they cost no delivery transaction.
        if (hello.commandsWaiting) await this.deliverCommands();
        return;
      }
      case "state":
        await this.db.$transaction((tx) => applyState(tx, this.nodeId, message.state), TX);
        return;
      case "event": {
        const { id, event } = message;
        const metrics = this.options.metrics;
        let stored: boolean;
        try {
          // Most events (logind's signal, while the node's shutdown waits for the ack; a command's answer)
          // are stored with other connections' in one statement; the others in a transaction each.
          stored = batchable(event)
            ? await this.options.storeBatched({ nodeId: this.nodeId, id, event })
            : await this.db.$transaction((tx) => storeEvent(tx, this.nodeId, id, event), TX);
        } catch (error) {
          // A value the database can never take is refused for good; anything else may pass: the agent retries.
          const reason = permanentStoreFailure(error);
          if (reason) {
            metrics?.event(event.type, "refused");
            return this.refuseEvent(id, "unstorable-event", reason);
          }
          metrics?.event(event.type, "retry");
          // Not acked, and named: the agent sends it again shortly (on this connection, not only after a reconnect).
          this.options.log(`node ${this.nodeId}: cannot store event ${id} yet: ${(error as Error).message}`);
          this.send({
            kind: "error",
            v: PROTOCOL_VERSION,
            code: EVENT_NOT_STORED,
            message: "the server could not store this event yet; send it again",
            ref: id,
          });
          return;
        }
        this.send({ kind: "ack", v: PROTOCOL_VERSION, ids: [message.id] });
        if (metrics) {
          metrics.event(event.type, stored ? "stored" : "duplicate");
          metrics.acked((performance.now() - receivedAt) / 1000);
          if (stored && event.type === "reboot-record") metrics.rebootRecord(event);
        }
        return;
      }
      case "heartbeat":
        this.options.presence.seen(this.nodeId);
        return;
      case "stage-progress": {
        // At most two a second per node reach the database; a phase's first and the last one always do.
        const now = Date.now();
        const last = message.bytesTotal !== null && message.bytesDone === message.bytesTotal;
        if (message.phase === this.lastProgress.phase && !last && now - this.lastProgress.at < 500) return;
        this.lastProgress = { phase: message.phase, at: now };
        await this.db.$transaction((tx) => applyStageProgress(tx, this.nodeId, message), TX);
        return;
      }
    }
  }

  /**
   * Sends the node's pending commands (called on hello and when a command is requested), one delivery
   * at a time. A command this connection already sent is not sent again on it: only a command sent on
   * an earlier connection, and never answered, is (the agent recognises one it carried out).
   */
  deliverCommands(): Promise<void> {
    const delivery = this.delivering.then(() => this.deliverOnce());
    this.delivering = delivery.catch(() => {});
    return delivery;
  }

  private async deliverOnce() {
    if (!this.greeted) return;
    const { send: commands, waiting } = await commandsToSend(this.db, this.nodeId, [...this.sentHere]);
    // Bounded: only ids still waiting for an answer are kept.
    this.sentHere = new Set(waiting.filter((id) => this.sentHere.has(id)));
    for (const command of commands) {
      this.sentHere.add(command.id);
      const agentCommand = agentCommandOf(command);
      if (!agentCommand) {
        this.options.log(`node ${this.nodeId}: command ${command.id} is not valid; not sent`);
        continue;
      }
      this.send({ kind: "command", v: PROTOCOL_VERSION, id: command.id, command: agentCommand });
    }
  }

  /** The connection ended: its node is offline, unless it never said hello here or said it since elsewhere. */
  async markGone({ webhook = true }: { webhook?: boolean } = {}) {
    // A hello still being stored when the connection ended finishes first: then it is known.
    await this.queue;
    const { connectedAt } = this;
    if (!connectedAt) return;
    await this.db.$transaction((tx) => markOffline(tx, this.nodeId, connectedAt, { webhook }), TX);
  }
}

/** The id of a frame that is an event envelope (kind, version, a valid id), however wrong its body. */
function spooledEventId(data: Buffer): string | null {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return null;
  }
  const envelope = eventEnvelope.safeParse(json);
  return envelope.success ? envelope.data.id : null;
}

const eventEnvelope = z.object({ kind: z.literal("event"), v: z.literal(PROTOCOL_VERSION), id: messageId });

/**
 * Errors no retry can mend: a value out of a column's range or too long, a
 * constraint the row breaks (Prisma's P2000/P2003/P2004/P2011/P2020, Postgres's
 * class 22 data exceptions and 23 integrity violations). Null: may pass.
 */
function permanentStoreFailure(error: unknown): string | null {
  const prisma = (error as { code?: string })?.code;
  if (prisma && ["P2000", "P2003", "P2004", "P2011", "P2020"].includes(prisma)) return (error as Error).message;
  const pgCode =
    (error as { meta?: { code?: string } })?.meta?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  if (pgCode && /^2[23]/.test(pgCode)) return (error as Error).message;
  const text = (error as Error)?.message ?? "";
  const sqlState = /Code: `(2[23][0-9A-Z]{3})`/.exec(text)?.[1];
  return sqlState ? text : null;
}
