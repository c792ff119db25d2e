import {
  type AgentEvent,
  type AgentMessage,
  CloseCode,
  EVENT_NOT_STORED,
  MAX_FRAME_BYTES,
  type NodeIdentity,
  type NodeState,
  PROTOCOL_VERSION,
  parseFrame,
  type ServerMessage,
  serverMessage,
} from "@softfleet/protocol";
import WebSocket from "ws";
import { monotonicUsec } from "./host";
import { log } from "./log";
import type { EventMessage, Spool } from "./spool";
import type { StageProgressFile } from "./stage-files";
import { checkTransport, type TrustConfig, tlsOptions } from "./trust";

export type Command = Extract<ServerMessage, { kind: "command" }>;

const WELCOME_TIMEOUT_MS = 30_000;
/**
 * Errors that say this host's own network is not up yet (no route, no address, no resolver): early
 * in a boot the agent starts before the network is configured. Retried every NOT_READY_RETRY_MS, up
 * to NOT_READY_MAX_RETRIES times in a row, without growing the backoff; after that, the usual backoff.
 */
const NETWORK_NOT_READY = new Set(["ENETUNREACH", "EADDRNOTAVAIL", "EAI_AGAIN"]);
const NOT_READY_RETRY_MS = 250;
export const NOT_READY_MAX_RETRIES = 120;
/** An event the server could not store yet is sent again after this, doubling up to the max. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
/**
 * Events sent and not yet acked, at most: a long spool is replayed this many
 * at a time, as acks come back, so the gateway's flood limits never take a
 * replay for a flood, and the server's memory holds at most this many.
 */
export const EVENT_WINDOW = 256;

export interface ConnectionOptions {
  /** ws(s)://…/agent/v1 */
  url: string;
  /** How control's certificate is checked; cleartext off loopback is refused unless allowed. */
  trust?: TrustConfig;
  spool: Spool;
  /** Built afresh for each connection: the first frame on it. */
  hello: () => Promise<{ identity: NodeIdentity; state: NodeState }>;
  newEventId: () => string;
  heartbeatSec: number;
  onConnected?: (info: { nodeId: string; connectedUsec: bigint }) => void;
  onCommand?: (command: Command) => void;
  /** Reconnect delays double from minMs up to maxMs, each with jitter. */
  backoff?: { minMs: number; maxMs: number };
  /**
   * The credential to connect with, read before each connection (a rotated
   * one is on disk); null keeps the one given to start().
   */
  currentCredential?: () => string | null;
}

/**
 * The agent's end of the gateway WebSocket: hello, spool replay, heartbeats,
 * acks and commands, and reconnecting with exponential backoff and jitter.
 * Events go through the spool: `publish` writes one before sending it, and an
 * ack removes it, so nothing is lost across a dropped connection; the server
 * stores each id once, so a replayed event is not doubled.
 */
export class GatewayConnection {
  private socket: WebSocket | null = null;
  private welcomed = false;
  private stopped = false;
  private attempts = 0;
  /** Quick retries in a row while the host's network was not up; the last connection error, logged once. */
  private notReadyRetries = 0;
  private lastError = "";
  private credential = "";
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private welcomeTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private readonly ackWaiters = new Map<string, Set<(acked: boolean) => void>>();
  /** Spooled events waiting for a place in the window, in the order they were made. */
  private outbox: EventMessage[] = [];
  /** Events sent and not yet acked, by id. */
  private readonly inFlight = new Map<string, EventMessage>();
  /** Events the server could not store yet, sent again after a delay: attempts so far, and the timers. */
  private readonly retries = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: ConnectionOptions) {}

  get connected(): boolean {
    return this.welcomed;
  }

  /** Connects (and keeps reconnecting) with the node's credential. Events may be published before. */
  start(credential: string): void {
    this.credential = credential;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket?.close(CloseCode.goingAway, "agent stopping");
    this.dropConnection();
  }

  /** Spools the event (durably) and sends it when connected. Returns its id. */
  publish(event: AgentEvent, id = this.options.newEventId()): string {
    const message: EventMessage = { kind: "event", v: PROTOCOL_VERSION, id, event };
    this.options.spool.put(message);
    if (this.welcomed) {
      this.outbox.push(message);
      this.flushEvents();
    }
    return id;
  }

  sendState(state: NodeState): void {
    this.send({ kind: "state", v: PROTOCOL_VERSION, state });
  }

  /** A stage command's progress: sent when connected, else dropped (the next one, or the result, follows). */
  sendStageProgress(commandId: string, progress: StageProgressFile): void {
    this.send({ kind: "stage-progress", v: PROTOCOL_VERSION, commandId, ...progress });
  }

  /** Resolves true when the server acks `id`, false after `timeoutMs` or at once when not connected. */
  waitForAck(id: string, timeoutMs: number): Promise<boolean> {
    if (!this.options.spool.has(id)) return Promise.resolve(true);
    if (!this.welcomed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiters = this.ackWaiters.get(id) ?? new Set();
      const done = (acked: boolean) => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve(acked);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      waiters.add(done);
      this.ackWaiters.set(id, waiters);
    });
  }

  /** Sends spooled events while the window has room, oldest first. */
  private flushEvents(): void {
    while (this.welcomed && this.inFlight.size < EVENT_WINDOW && this.outbox.length > 0) {
      const message = this.outbox.shift()!;
      if (!this.options.spool.has(message.id) || this.inFlight.has(message.id)) continue;
      this.inFlight.set(message.id, message);
      this.send(message);
    }
  }

  private send(message: AgentMessage): void {
    if (!this.welcomed || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify(message));
  }

  private open(): void {
    const trust = this.options.trust ?? {};
    try {
      checkTransport(this.options.url, trust);
    } catch (error) {
      // The configuration must change: retrying would send the credential in clear each time.
      log.error("gateway: not connecting", { error: (error as Error).message });
      this.stopped = true;
      return;
    }
    const credential = this.options.currentCredential?.() ?? this.credential;
    const socket = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${credential}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      ...(this.options.url.startsWith("wss:") ? tlsOptions(trust) : {}),
    });
    this.socket = socket;
    let notReady = false;
    socket.on("open", () => {
      this.options.hello().then(
        ({ identity, state }) => {
          if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
          socket.send(JSON.stringify({ kind: "hello", v: PROTOCOL_VERSION, identity, state } satisfies AgentMessage));
          // A server that never answers the hello (stuck, overloaded) must not keep this node unconnected.
          this.welcomeTimer = setTimeout(() => {
            if (this.socket !== socket || this.welcomed) return;
            log.warn("gateway: no welcome within 30 s of the hello, reconnecting");
            socket.terminate();
          }, WELCOME_TIMEOUT_MS);
        },
        (error: Error) => {
          log.error("gateway: cannot build hello", { error: error.message });
          socket.close(CloseCode.normal, "agent cannot read its state");
        },
      );
    });
    socket.on("message", (data: Buffer) => this.receive(data));
    socket.on("pong", () => {
      this.awaitingPong = false;
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // Followed by "close"; the message carries the HTTP status of a refused upgrade.
      notReady = NETWORK_NOT_READY.has(error.code ?? "");
      if (error.message === this.lastError) return;
      this.lastError = error.message;
      log.warn("gateway: connection failed", {
        url: this.options.url,
        error: error.message,
        hint: notReady ? "this host's network is not up yet; retrying every 250 ms" : undefined,
      });
    });
    socket.on("close", (code, reason) => {
      if (this.socket !== socket) return;
      const wasWelcomed = this.welcomed;
      this.dropConnection();
      if (wasWelcomed) log.warn("gateway: disconnected", { code, reason: reason.toString() || undefined });
      if (code === CloseCode.rekeyed)
        log.info("gateway: the node's credential was replaced; reconnecting with the saved one");
      if (code === CloseCode.revoked) {
        log.error("gateway: this node was revoked by an admin; not reconnecting (enroll again to return)");
        this.stopped = true;
        return;
      }
      this.scheduleReconnect(notReady);
    });
  }

  private receive(data: Buffer): void {
    // A frame already on its way when stop() closed the socket: the agent has let go of its spool.
    if (this.stopped) return;
    const parsed = parseFrame(serverMessage, data);
    if (!parsed.ok) {
      log.warn("gateway: ignoring a bad frame", { code: parsed.code, error: parsed.error });
      return;
    }
    const message = parsed.message;
    switch (message.kind) {
      case "welcome":
        this.welcome(message.nodeId, message.heartbeatSec);
        return;
      case "ack":
        this.options.spool.ack(message.ids);
        for (const id of message.ids) for (const done of this.ackWaiters.get(id) ?? []) done(true);
        for (const id of message.ids) this.ackWaiters.delete(id);
        for (const id of message.ids) this.inFlight.delete(id);
        for (const id of message.ids) this.retries.delete(id);
        this.flushEvents();
        return;
      case "command":
        this.options.onCommand?.(message);
        return;
      case "error":
        if (message.code === EVENT_NOT_STORED && message.ref !== null && this.inFlight.has(message.ref)) {
          this.sendAgain(message.ref);
          return;
        }
        log.warn("gateway: the server reported an error", {
          code: message.code,
          message: message.message,
          ref: message.ref,
        });
    }
  }

  /**
   * An event the server could not store yet (its database busy or restarting) is sent again on
   * this connection, 0.5 s after the first refusal and up to 10 s apart: the server stores it
   * once whatever the number of tries. A reconnect replays it anyway.
   */
  private sendAgain(id: string): void {
    const attempt = (this.retries.get(id) ?? 0) + 1;
    this.retries.set(id, attempt);
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1));
    log.warn("gateway: the server could not store an event yet; sending it again", { id, attempt, inMs: delay });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      const message = this.inFlight.get(id);
      if (message && this.options.spool.has(id)) this.send(message);
    }, delay);
    this.retryTimers.add(timer);
  }

  private welcome(nodeId: string, heartbeatSec: number): void {
    const connectedUsec = monotonicUsec();
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    this.welcomeTimer = null;
    this.welcomed = true;
    this.attempts = 0;
    this.notReadyRetries = 0;
    this.lastError = "";
    log.info("gateway: connected", { nodeId, url: this.options.url });
    // Replay in id order, which is the order the events were made, a window at a time. Synchronous:
    // nothing can be published between reading the spool and queueing it.
    const pending = this.options.spool.pending();
    this.outbox = [...pending];
    this.inFlight.clear();
    this.flushEvents();
    if (pending.length) log.info("gateway: replaying spooled events", { count: pending.length });
    this.startHeartbeat(boundedHeartbeatSec(heartbeatSec, this.options.heartbeatSec));
    this.options.onConnected?.({ nodeId, connectedUsec });
  }

  /** Heartbeat frames tell the server the node is alive; ws pings tell the agent the server is. */
  private startHeartbeat(heartbeatSec: number): void {
    this.heartbeatTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (this.awaitingPong) {
        log.warn("gateway: no pong within a heartbeat, reconnecting");
        socket.terminate();
        return;
      }
      this.awaitingPong = true;
      socket.ping();
      this.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: monotonicUsec().toString() });
    }, heartbeatSec * 1000);
  }

  private dropConnection(): void {
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    this.welcomeTimer = null;
    this.welcomed = false;
    this.awaitingPong = false;
    this.socket = null;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const waiters of this.ackWaiters.values()) for (const done of waiters) done(false);
    this.ackWaiters.clear();
    this.outbox = [];
    this.inFlight.clear();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.retries.clear();
  }

  private scheduleReconnect(networkNotReady = false): void {
    if (this.stopped) return;
    const next = nextReconnect(
      { attempts: this.attempts, notReadyRetries: this.notReadyRetries },
      networkNotReady,
      this.options.backoff ?? { minMs: 500, maxMs: 30_000 },
    );
    this.attempts = next.attempts;
    this.notReadyRetries = next.notReadyRetries;
    const delay = next.delayMs;
    log.debug("gateway: reconnecting", { inMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }
}

export interface ReconnectState {
  /** Failed connections in a row that grew the backoff. */
  attempts: number;
  /** Quick retries in a row while the host's own network was not up. */
  notReadyRetries: number;
}

/**
 * When to connect again after a failed or lost connection. Delays double from minMs up to maxMs,
 * each with jitter over its upper half, so a fleet cut off together does not return in lockstep.
 * A failure that says the host's own network is not up yet (early in a boot) costs nothing to
 * retry and nothing to the server: retried within NOT_READY_RETRY_MS without growing the backoff,
 * NOT_READY_MAX_RETRIES times in a row; a network that stays down past that is retried like any
 * other failure.
 */
export function nextReconnect(
  state: ReconnectState,
  networkNotReady: boolean,
  backoff: { minMs: number; maxMs: number },
  random: () => number = Math.random,
): ReconnectState & { delayMs: number } {
  const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** state.attempts);
  const delayMs = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (networkNotReady && state.notReadyRetries < NOT_READY_MAX_RETRIES) {
    return {
      attempts: state.attempts,
      notReadyRetries: state.notReadyRetries + 1,
      delayMs: Math.min(delayMs, NOT_READY_RETRY_MS),
    };
  }
  return { attempts: state.attempts + 1, notReadyRetries: networkNotReady ? state.notReadyRetries : 0, delayMs };
}

/** The agent's own range for the server's heartbeat interval: neither a hot loop nor silence. */
export const HEARTBEAT_SEC = { min: 2, max: 300 };

/** The server's heartbeat interval, clamped into HEARTBEAT_SEC (a server could send 0, or 10^12). */
export function boundedHeartbeatSec(fromServer: number, fallback: number): number {
  const wanted = Number.isFinite(fromServer) && fromServer > 0 ? fromServer : fallback;
  const bounded = Math.min(HEARTBEAT_SEC.max, Math.max(HEARTBEAT_SEC.min, wanted));
  if (bounded !== fromServer) {
    log.warn("gateway: the server's heartbeat interval is out of range; using a bounded one", {
      fromServer,
      heartbeatSec: bounded,
    });
  }
  return bounded;
}
