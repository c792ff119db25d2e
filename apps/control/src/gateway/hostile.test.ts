import { connect as tcpConnect } from "node:net";
import { CONTROL_CHANNEL } from "@softfleet/fleet";
import { CloseCode, PROTOCOL_VERSION } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, enroll, machineIdOf, newToken, startGateway } from "./testing";

let t: TestDatabase;
let control: Awaited<ReturnType<typeof startGateway>>;
let port: number;
let counter = 5000;
const logged: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startGateway(t.db, t.url, { reconcileMs: 300, log: (line) => logged.push(line) });
  port = Number(new URL(control.url).port);
});
afterAll(async () => {
  await control.close();
  await t.drop();
});

/** Sends raw bytes and returns the status line of the answer, or "closed" / "timeout". */
function raw(request: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let answer = "";
    const done = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(answer ? answer.split("\r\n")[0]! : "timeout"), timeoutMs);
    socket.on("error", () => done(answer ? answer.split("\r\n")[0]! : "closed"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) done(answer.split("\r\n")[0]!);
    });
    socket.on("end", () => done(answer ? answer.split("\r\n")[0]! : "closed"));
    socket.write(request, "latin1");
  });
}

const upgrade = (target: string, extra = "") =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

/** An agent is still served end to end: enrolls, connects, is greeted, has an event acknowledged. */
async function agentIsServed() {
  const machineId = machineIdOf(counter++);
  const { status, body } = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: "still-ok" });
  expect(status).toBe(201);
  const agent = await connect(control.url, body.credential);
  agent.hello(machineId);
  await agent.next("welcome");
  agent.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: "1" });
  return { agent, nodeId: body.nodeId!, machineId };
}

describe("hostile requests to the control port", () => {
  it.each([
    ["a target that is no URL", "GET //[ HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"],
    ["a bad percent-escape", "GET /%zz%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"],
    ["an authority-form target", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"],
    ["an asterisk target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"],
    ["an unknown path under /agent/", "GET /agent/v1/nope HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404"],
    [
      "a POST to an unknown /agent/ path",
      "POST /agent/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.1 404",
    ],
    ["a plain GET of the WebSocket path", "GET /agent/v1 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426"],
    ["a GET of the enroll path", "GET /agent/v1/enroll HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405"],
    ["an odd method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400"],
    ["DELETE /healthz", "DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405"],
    ["a header without a colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n", "HTTP/1.1 400"],
    [
      "headers over the size limit",
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ${"a".repeat(20_000)}\r\n\r\n`,
      "HTTP/1.1 431",
    ],
    ["not HTTP at all", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", "HTTP/1.1 400"],
    ["an upgrade to a target that is no URL", upgrade("//["), "HTTP/1.1 400"],
    ["an upgrade to an unknown path", upgrade("/agent/v2"), "HTTP/1.1 404"],
    ["an upgrade without a credential", upgrade("/agent/v1"), "HTTP/1.1 401"],
    [
      "an upgrade with a garbage credential",
      upgrade("/agent/v1", "Authorization: Bearer \u00ff\u00fe.x.y\r\n"),
      "HTTP/1.1 401",
    ],
    [
      "an upgrade to something else",
      upgrade("/agent/v1").replace("Upgrade: websocket", "Upgrade: h2c"),
      "HTTP/1.1 401",
    ],
  ])("answers %s at once, with the right status", async (_name, request, status) => {
    const answer = await raw(request);
    expect(answer.split(" ").slice(0, 2).join(" ")).toBe(status);
  });

  it("survives clients that reset mid-request and mid-upgrade", async () => {
    for (const request of [
      upgrade("/agent/v1", "Authorization: Bearer sfn.x.y\r\n"),
      "POST /agent/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
    ]) {
      await new Promise<void>((resolve) => {
        const socket = tcpConnect(port, "127.0.0.1", () => {
          socket.write(request);
          socket.resetAndDestroy();
          resolve();
        });
        socket.on("error", () => resolve());
      });
    }
    const { agent } = await agentIsServed();
    agent.ws.close();
  });

  it("ignores NOTIFY payloads on its channel that are not its signals, and still serves agents", async () => {
    const payloads = [
      "not json",
      "",
      "null",
      "[]",
      '{"kind":"commands","nodeIds":5}',
      '{"kind":"command"}',
      '{"kind":"revoked","nodeId":{"toString":1}}',
      '{"kind":"explode"}',
      `{"kind":"commands","nodeIds":["${"x".repeat(70)}"]}`,
      "{".repeat(5_000),
    ];
    for (const payload of payloads) await t.db.$executeRaw`SELECT pg_notify(${CONTROL_CHANNEL}, ${payload})`;
    const { agent } = await agentIsServed();
    await new Promise((r) => setTimeout(r, 200));
    expect(logged.filter((line) => line.includes("ignored a payload")).length).toBeGreaterThanOrEqual(
      payloads.length - 1,
    );
    expect((await fetch(`${control.url}/healthz`)).status).toBe(200);
    agent.ws.close();
  });
});

describe("what a lost NOTIFY would have said", () => {
  it("delivers a command written without its NOTIFY to the connected node", async () => {
    const { agent, nodeId } = await agentIsServed();
    // As if the NOTIFY was lost in a LISTEN gap: the row alone.
    const command = await t.db.nodeCommand.create({ data: { nodeId, type: "soft-reboot", requireNextroot: false } });
    const frame = await agent.next("command", 5_000);
    expect(frame.id).toBe(command.id);
    expect((await t.db.nodeCommand.findUniqueOrThrow({ where: { id: command.id } })).status).toBe("sent");
    agent.ws.close();
  });

  it("cuts off a node revoked or deleted without its NOTIFY", async () => {
    const revoked = await agentIsServed();
    const deleted = await agentIsServed();
    await t.db.node.update({ where: { id: revoked.nodeId }, data: { revokedAt: new Date() } });
    await t.db.node.delete({ where: { id: deleted.nodeId } });
    expect((await revoked.agent.waitClosed()).code).toBe(CloseCode.revoked);
    expect((await deleted.agent.waitClosed()).code).toBe(CloseCode.revoked);
  });
});
