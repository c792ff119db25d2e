import type { AddressInfo } from "node:net";
import type { Db } from "@softfleet/db";
import { createEnrollmentToken } from "@softfleet/fleet";
import {
  AGENT_WS_PATH,
  ENROLL_PATH,
  type NodeIdentity,
  type NodeState,
  PROTOCOL_VERSION,
  type ServerMessage,
} from "@softfleet/protocol";
import WebSocket from "ws";
import { createControlServer } from "../server";
import { attachGateway, type GatewayOptions } from "./gateway";

/** A control server with its gateway on a free port, for tests. */
export async function startGateway(db: Db, databaseUrl: string, options: Partial<GatewayOptions> = {}) {
  const server = createControlServer(db);
  const gateway = await attachGateway(server, db, { databaseUrl, helloTimeoutMs: 2_000, log: () => {}, ...options });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    gateway,
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export async function newToken(db: Db, overrides: { ttlHours?: number; maxUses?: number | null } = {}) {
  const { token } = await db.$transaction((tx) =>
    createEnrollmentToken(tx, {
      label: "test",
      ttlHours: overrides.ttlHours ?? 1,
      maxUses: overrides.maxUses ?? null,
      createdById: null,
    }),
  );
  return token;
}

export function machineIdOf(n: number) {
  return n.toString(16).padStart(32, "0");
}

export async function enroll(url: string, body: unknown) {
  const response = await fetch(`${url}${ENROLL_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { nodeId?: string; credential?: string; error?: string },
  };
}

export function identity(machineId: string, extra: Partial<NodeIdentity> = {}): NodeIdentity {
  return {
    machineId,
    hostname: `host-${machineId.slice(-4)}`,
    bootId: "0b5c1e2a-1111-4222-8333-944455556666",
    osRelease: { id: "debian", versionId: "13", imageId: "softfleet-lab", imageVersion: "1" },
    systemdVersion: 257,
    agentVersion: "test",
    labels: { rack: "r1" },
    simulated: false,
    ...extra,
  };
}

export const state: NodeState = {
  softRebootsCount: 0,
  nextroot: { staged: false, imageVersion: null },
  units: [],
  monotonicUsec: "123456789",
  inhibitor: "held",
};

/** A WebSocket client that records every frame and close, like an agent would see them. */
export async function connect(url: string, credential: string | undefined) {
  const ws = new WebSocket(`${url.replace("http", "ws")}${AGENT_WS_PATH}`, {
    headers: credential ? { authorization: `Bearer ${credential}` } : {},
  });
  const frames: ServerMessage[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  ws.on("close", (code, reason) => (closed = { code, reason: reason.toString() }));
  const opened = await new Promise<{ ok: true } | { ok: false; status: number; body: string }>((resolve) => {
    ws.once("open", () => resolve({ ok: true }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ ok: false, status: res.statusCode ?? 0, body }));
    });
  });
  const next = async <K extends ServerMessage["kind"]>(kind: K, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const index = frames.findIndex((f) => f.kind === kind);
      if (index >= 0) return frames.splice(index, 1)[0] as Extract<ServerMessage, { kind: K }>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${kind} frame within ${timeoutMs} ms (closed: ${JSON.stringify(closed)})`);
  };
  const waitClosed = async (timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!closed) throw new Error("the connection was not closed");
    return closed;
  };
  const send = (message: unknown) => ws.send(typeof message === "string" ? message : JSON.stringify(message));
  const hello = (machineId: string) =>
    send({ kind: "hello", v: PROTOCOL_VERSION, identity: identity(machineId), state });
  return { ws, opened, frames, next, waitClosed, send, hello };
}
