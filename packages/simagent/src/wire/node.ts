import { randomUUID } from "node:crypto";
import { createIdGenerator, EVENT_WINDOW, nextReconnect } from "@softfleet/agent";
import {
  AGENT_WS_PATH,
  type AgentEvent,
  EVENT_NOT_STORED,
  MAX_FRAME_BYTES,
  type NodeIdentity,
  type NodeState,
  PROTOCOL_VERSION,
  type ServerMessage,
} from "@softfleet/protocol";
import WebSocket from "ws";
import { SIMAGENT_VERSION } from "../node";

/** A node the control plane knows, with the credential its agent would keep. */
export interface WireNodeSpec {
  nodeId: string;
  machineId: string;
  hostname: string;
  credential: string;
  labels?: Record<string, string>;
}

/** What every wire node adds to, shared by a pool (no per-node arrays to gather). */
export interface WireCounters {
  /** Connections open and greeted right now. */
  welcomed: number;
  /** Welcomes received since the start (a reconnect counts again). */
  welcomes: number;
  /** Connection attempts that ended before a welcome (refused, closed, timed out). */
  failedAttempts: number;
  eventsSpooled: number;
  /** Events the server acked for the first time (a spooled event leaves the spool once). */
  eventsAcked: number;
  /** Frames sent again after an EVENT_NOT_STORED error or a reconnect. */
  eventsResent: number;
  heartbeats: number;
  commands: number;
  /** How connections ended, by close code (1006: no close frame: refused, reset or timed out). */
  closes: Record<number, number>;
}

export interface WireShared {
  wsUrl: string;
  ca?: Buffer;
  backoff: { minMs: number; maxMs: number };
  counters: WireCounters;
  /** Until the server's welcome says otherwise. */
  heartbeatSec: number;
  /**
   * What a command does: "refuse" answers every command refused (the node has
   * no host); "reboot" carries out soft-reboots, rollbacks and stages as a
   * host would, over the wire (see WireNode).
   */
  commands: "refuse" | "reboot";
  /** With "reboot": how long a soft-reboot keeps the node away, in ms (drawn evenly between the two). */
  downtimeMs: { min: number; max: number };
}

/** The host's CLOCK_MONOTONIC, in µs: it goes on across a soft-reboot, as the kernel does. */
const monotonicUsec = () => process.hrtime.bigint() / 1000n;

/** What a soft-reboot under way remembers, to report it once the node is back. */
interface RebootUnderWay {
  signalId: string;
  signalUsec: bigint;
  countBefore: number;
  imageBefore: string;
  /** The connection went down (the host's shutdown); the node comes back after its downtime. */
  down: boolean;
}

/**
 * One simulated agent at the wire level: the real protocol (hello, welcome,
 * heartbeats at the server's interval, events spooled until acked and replayed
 * after a reconnect, at most EVENT_WINDOW unacked, an event the server could
 * not store sent again), the real agent's reconnect backoff, and no host, no
 * files and no process of its own. Thousands share one process: it is the load
 * generator of the scale benchmark. A command is answered "refused" (it has no
 * host to carry it out), so that the server's side of a command still runs;
 * or, with `commands: "reboot"`, carried out as a host would over the wire: a
 * stage command stages its version at once, a soft-reboot (or a rollback)
 * is accepted, logind's signal is sent and, once acked, the connection goes
 * down; the node comes back after its downtime in the same boot, one
 * soft-reboot later, on the staged image, and sends its reboot record.
 */
export class WireNode {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private stopped = false;
  /** Spooled and not acked, in the order they were made. */
  private readonly spool = new Map<string, AgentEvent>();
  private readonly inFlight = new Set<string>();
  private reconnect = { attempts: 0, notReadyRetries: 0 };
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly nextId = createIdGenerator();
  /** A soft-reboot keeps the boot: the same id before and after. */
  private readonly bootId = randomUUID();
  private softRebootsCount = 0;
  private imageVersion = "1";
  private staged: string | null;
  private reboot: RebootUnderWay | null = null;
  private settleFirst: () => void = () => {};
  /** Settles when the first connection was welcomed, or ended without a welcome. */
  readonly firstAttempt = new Promise<void>((resolve) => {
    this.settleFirst = resolve;
  });

  constructor(
    readonly spec: WireNodeSpec,
    private readonly shared: WireShared,
    /** A version already staged at /run/nextroot when the node starts. */
    staged: string | null = null,
  ) {
    this.staged = staged;
  }

  /** Events spooled and not acked yet. */
  get unacked() {
    return this.spool.size;
  }

  connect() {
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(`${this.shared.wsUrl}${AGENT_WS_PATH}`, {
      headers: { authorization: `Bearer ${this.spec.credential}` },
      ca: this.shared.ca,
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      // As the real agent's connection.
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    ws.on("open", () =>
      this.send({ kind: "hello", v: PROTOCOL_VERSION, identity: this.identity(), state: this.state() }),
    );
    ws.on("message", (data) => this.onFrame(String(data)));
    // An error is followed by a close: the close decides what happens next.
    ws.on("error", () => {});
    ws.on("close", (code) => {
      const closes = this.shared.counters.closes;
      closes[code] = (closes[code] ?? 0) + 1;
      this.onClose(ws);
    });
  }

  /** Spools an event (sent at once when the window allows); returns its id. */
  spoolEvent(event: AgentEvent): string {
    const id = this.nextId();
    this.spool.set(id, event);
    this.shared.counters.eventsSpooled += 1;
    this.pump();
    return id;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.ws?.terminate();
  }

  private osRelease(imageVersion: string) {
    return { id: "debian", versionId: "13", imageId: "softfleet-wire", imageVersion };
  }

  private state(): NodeState {
    return {
      softRebootsCount: this.softRebootsCount,
      nextroot: { staged: this.staged !== null, imageVersion: this.staged },
      units: [],
      monotonicUsec: String(monotonicUsec()),
      inhibitor: "held",
    };
  }

  private identity(): NodeIdentity {
    return {
      machineId: this.spec.machineId,
      hostname: this.spec.hostname,
      bootId: this.bootId,
      osRelease: this.osRelease(this.imageVersion),
      systemdVersion: 257,
      agentVersion: `${SIMAGENT_VERSION}-wire`,
      labels: this.spec.labels ?? {},
      simulated: true,
    };
  }

  private send(message: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Sends spooled events, oldest first, while fewer than EVENT_WINDOW are unacked. */
  private pump() {
    if (!this.welcomed) return;
    for (const [id, event] of this.spool) {
      if (this.inFlight.size >= EVENT_WINDOW) return;
      if (this.inFlight.has(id)) continue;
      this.inFlight.add(id);
      this.send({ kind: "event", v: PROTOCOL_VERSION, id, event });
    }
  }

  private onFrame(text: string) {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    const counters = this.shared.counters;
    switch (message.kind) {
      case "welcome": {
        this.welcomed = true;
        this.reconnect = { attempts: 0, notReadyRetries: 0 };
        counters.welcomed += 1;
        counters.welcomes += 1;
        if (this.spool.size > 0) counters.eventsResent += this.spool.size;
        this.startHeartbeats(message.heartbeatSec);
        if (this.reboot?.down) this.reportReboot(this.reboot);
        this.pump();
        this.settleFirst();
        return;
      }
      case "ack":
        for (const id of message.ids) {
          this.inFlight.delete(id);
          if (this.spool.delete(id)) counters.eventsAcked += 1;
          // logind's signal acked: the delay lock goes, and the host shuts down (the connection with it).
          if (id === this.reboot?.signalId && !this.reboot.down) this.goDown(this.reboot);
        }
        this.pump();
        return;
      case "error":
        if (message.code === EVENT_NOT_STORED && message.ref && this.spool.has(message.ref)) {
          const ref = message.ref;
          // As the agent does: the same event again on the same connection, shortly.
          setTimeout(() => {
            this.inFlight.delete(ref);
            counters.eventsResent += 1;
            this.pump();
          }, 500).unref();
        }
        return;
      case "command":
        counters.commands += 1;
        if (this.shared.commands === "reboot") return this.carryOut(message);
        this.spoolEvent({
          type: "command-result",
          commandId: message.id,
          outcome: "refused",
          reason: "a wire-level load agent has no host to carry out commands",
        });
        return;
    }
  }

  /** A command, as a host would carry it out (see the class's comment). */
  private carryOut(message: Extract<ServerMessage, { kind: "command" }>) {
    const { command } = message;
    const answer = (outcome: "accepted" | "refused", reason: string | null = null) =>
      this.spoolEvent({ type: "command-result", commandId: message.id, outcome, reason });
    if (command.type === "stage") {
      answer("accepted");
      this.staged = command.version;
      this.spoolEvent({
        type: "stage-result",
        commandId: message.id,
        outcome: "staged",
        version: command.version,
        code: null,
        reason: null,
        bytes: 0,
        reused: true,
        seconds: 0,
      });
      this.send({ kind: "state", v: PROTOCOL_VERSION, state: this.state() });
      return;
    }
    if (this.reboot) return answer("refused", "a shutdown is already under way");
    if (command.type === "rollback") this.staged = command.version;
    else if (command.requireNextroot && this.staged === null)
      return answer("refused", "no image staged at /run/nextroot");
    answer("accepted");
    const signalUsec = monotonicUsec();
    const signalId = this.spoolEvent({
      type: "shutdown-signal",
      start: true,
      shutdownType: "soft-reboot",
      monotonicUsec: String(signalUsec),
      wallclock: new Date().toISOString(),
      bootId: this.bootId,
      softRebootsCount: this.softRebootsCount,
    });
    this.reboot = {
      signalId,
      signalUsec,
      countBefore: this.softRebootsCount,
      imageBefore: this.imageVersion,
      down: false,
    };
  }

  /** The host's shutdown: the agent's connection ends; the new userspace comes after the downtime. */
  private goDown(reboot: RebootUnderWay) {
    reboot.down = true;
    this.softRebootsCount += 1;
    if (this.staged !== null) this.imageVersion = this.staged;
    this.staged = null;
    this.ws?.close(1001, "the host is shutting down");
  }

  /** Back: the reboot record, as the agent sends it after its hello. */
  private reportReboot(reboot: RebootUnderWay) {
    this.reboot = null;
    const connected = monotonicUsec();
    const away = connected - reboot.signalUsec;
    this.spoolEvent({
      type: "reboot-record",
      kind: "soft-reboot",
      requested: "soft-reboot",
      announced: "soft-reboot",
      escalated: false,
      beforeLost: false,
      bootIdBefore: this.bootId,
      bootIdAfter: this.bootId,
      softRebootsCountBefore: reboot.countBefore,
      softRebootsCountAfter: this.softRebootsCount,
      imageBefore: this.osRelease(reboot.imageBefore),
      imageAfter: this.osRelease(this.imageVersion),
      phases: {
        signalUsec: String(reboot.signalUsec),
        shutdownStartUsec: String(reboot.signalUsec + 5_000n),
        userspaceUsec: String(reboot.signalUsec + away / 3n),
        finishUsec: String(reboot.signalUsec + (away * 2n) / 3n),
        agentConnectedUsec: String(connected),
      },
      units: [],
      signalEventId: reboot.signalId,
    });
  }

  private startHeartbeats(fromServer: number) {
    const sec = Number.isFinite(fromServer) && fromServer >= 2 ? Math.min(fromServer, 300) : this.shared.heartbeatSec;
    clearInterval(this.heartbeat);
    const beat = () => {
      this.shared.counters.heartbeats += 1;
      this.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: String(process.hrtime.bigint() / 1000n) });
    };
    // Spread over the interval: a fleet that connected together does not beat together.
    this.heartbeat = setTimeout(
      () => {
        beat();
        this.heartbeat = setInterval(beat, sec * 1000);
      },
      Math.random() * sec * 1000,
    );
  }

  private onClose(ws: WebSocket) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearTimeout(this.heartbeat);
    clearInterval(this.heartbeat);
    this.inFlight.clear();
    if (this.welcomed) this.shared.counters.welcomed -= 1;
    else this.shared.counters.failedAttempts += 1;
    this.welcomed = false;
    this.settleFirst();
    if (this.stopped) return;
    if (this.reboot?.down) {
      // The host is away for its downtime, then its new agent connects at once.
      const { min, max } = this.shared.downtimeMs;
      this.retry = setTimeout(() => this.connect(), min + Math.random() * (max - min));
      return;
    }
    const next = nextReconnect(this.reconnect, false, this.shared.backoff);
    this.reconnect = { attempts: next.attempts, notReadyRetries: next.notReadyRetries };
    this.retry = setTimeout(() => this.connect(), next.delayMs);
  }
}
