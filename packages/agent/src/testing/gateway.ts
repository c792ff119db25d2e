import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AGENT_WS_PATH,
  type AgentEvent,
  type AgentMessage,
  agentMessage,
  ENROLL_PATH,
  EVENT_NOT_STORED,
  enrollRequest,
  PROTOCOL_VERSION,
  parseFrame,
  type ServerMessage,
} from "@softfleet/protocol";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A stand-in gateway: enrollment, then a WebSocket that validates every frame
 * with the protocol's schemas (a bad one fails the test through `violations`),
 * stores events by id like the real server (once each), and acks them.
 */
export interface FakeGateway {
  url: string;
  /** Every valid frame, in arrival order, per connection. */
  frames: AgentMessage[];
  /** Stored events by id, in the order first received. */
  stored: Map<string, AgentEvent>;
  /** How often each event id arrived (replays after a lost ack arrive twice). */
  received: Map<string, number>;
  violations: string[];
  connections: number;
  enrollments: number;
  /** false: store but do not ack (the ack "gets lost"). */
  ackEvents: boolean;
  /** true: answer new connections 503, as a control plane that is down. */
  refuseConnections: boolean;
  /** Event ids the server "cannot store yet" once each: answered with EVENT_NOT_STORED, not acked. */
  notStoredOnce: Set<string>;
  /** Delay before each ack, like a server writing to its database. */
  ackDelayMs: number;
  /** Called as each event arrives and as its ack leaves. */
  onEvent: (id: string, event: AgentEvent) => void;
  onAck: (id: string) => void;
  send(message: ServerMessage): void;
  dropConnections(): void;
  close(): Promise<void>;
}

export const TEST_CREDENTIAL = "test-credential-0123456789";

export async function startFakeGateway(): Promise<FakeGateway> {
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const server: Server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== ENROLL_PATH) return void res.writeHead(404).end();
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const parsed = enrollRequest.safeParse(JSON.parse(body));
      if (!parsed.success || parsed.data.token !== "enroll-token-123") {
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error: "bad token" }));
        return;
      }
      gateway.enrollments++;
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ nodeId: "node-1", credential: TEST_CREDENTIAL }));
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (gateway.refuseConnections) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    if (req.url !== AGENT_WS_PATH || req.headers.authorization !== `Bearer ${TEST_CREDENTIAL}`) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function accept(ws: WebSocket) {
    gateway.connections++;
    sockets.add(ws);
    let greeted = false;
    ws.on("close", () => sockets.delete(ws));
    ws.on("message", (data: Buffer) => {
      const parsed = parseFrame(agentMessage, data);
      if (!parsed.ok) return void gateway.violations.push(`${parsed.code}: ${parsed.error}`);
      const message = parsed.message;
      gateway.frames.push(message);
      if (!greeted && message.kind !== "hello") gateway.violations.push(`first frame was ${message.kind}`);
      if (message.kind === "hello") {
        greeted = true;
        reply(ws, { kind: "welcome", v: PROTOCOL_VERSION, nodeId: "node-1", heartbeatSec: 10 });
      } else if (message.kind === "event") {
        gateway.received.set(message.id, (gateway.received.get(message.id) ?? 0) + 1);
        if (gateway.notStoredOnce.delete(message.id)) {
          const error = "the server could not store this event yet; send it again";
          return reply(ws, {
            kind: "error",
            v: PROTOCOL_VERSION,
            code: EVENT_NOT_STORED,
            message: error,
            ref: message.id,
          });
        }
        if (!gateway.stored.has(message.id)) gateway.stored.set(message.id, message.event);
        gateway.onEvent(message.id, message.event);
        if (!gateway.ackEvents) return;
        const ack = () => {
          gateway.onAck(message.id);
          reply(ws, { kind: "ack", v: PROTOCOL_VERSION, ids: [message.id] });
        };
        if (gateway.ackDelayMs) setTimeout(ack, gateway.ackDelayMs);
        else ack();
      }
    });
  }

  const reply = (ws: WebSocket, message: ServerMessage) => ws.send(JSON.stringify(message));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const gateway: FakeGateway = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames: [],
    stored: new Map(),
    received: new Map(),
    violations: [],
    connections: 0,
    enrollments: 0,
    ackEvents: true,
    notStoredOnce: new Set(),
    refuseConnections: false,
    ackDelayMs: 0,
    onEvent: () => {},
    onAck: () => {},
    send: (message) => {
      for (const ws of sockets) reply(ws, message);
    },
    dropConnections: () => {
      for (const ws of sockets) ws.terminate();
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return gateway;
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function until<T>(check: () => T | undefined | false, timeoutMs = 5000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
