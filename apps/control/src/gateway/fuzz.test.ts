import { connect as tcpConnect } from "node:net";
import { requestSoftReboot } from "@softfleet/fleet";
import { AGENT_WS_PATH, agentEvent, nodeIdentity, PROTOCOL_VERSION } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, enroll, identity, machineIdOf, newToken, startGateway, state } from "./testing";

/**
 * Random and hostile input to the agent gateway, unauthenticated and
 * authenticated, from a seeded generator (a failure names its seed). After
 * it: control still answers, nothing invalid was stored, and a real agent is
 * served end to end.
 */
const SEED = Number(process.env.SOFTFLEET_FUZZ_SEED ?? 0x5f1ee7);

function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]) => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

let t: TestDatabase;
let control: Awaited<ReturnType<typeof startGateway>>;
let port: number;
const rng = random(SEED);

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startGateway(t.db, t.url, { reconcileMs: 500 });
  port = Number(new URL(control.url).port);
});
afterAll(async () => {
  await control.close();
  await t.drop();
});

const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53 + 1,
  "",
  "x".repeat(10_000),
  "\u0000\r\n=cmd|",
  "99999999999999999999999",
  "18446744073709551616",
  [],
  {},
  { __proto__: { polluted: true } },
  JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
];

/** A valid message, then mutated: a field dropped, retyped or replaced with an odd value, at any depth. */
function mutate(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return rng.next() < 0.3 ? rng.pick(ODD_VALUES) : value;
  if (Array.isArray(value)) {
    const copy = value.map((v) => mutate(v, depth + 1));
    if (rng.next() < 0.2) copy.push(rng.pick(ODD_VALUES));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const roll = rng.next();
    if (roll < 0.08) continue;
    copy[key] = roll < 0.25 ? rng.pick(ODD_VALUES) : mutate(v, depth + 1);
  }
  if (rng.next() < 0.1) copy[rng.pick(["kind", "v", "id", "extra", "__proto__"])] = rng.pick(ODD_VALUES);
  return copy;
}

const shutdown = () => ({
  type: "shutdown-signal",
  start: true,
  shutdownType: "soft-reboot",
  monotonicUsec: String(rng.int(1e9)),
  wallclock: new Date().toISOString(),
  bootId: "0b5c1e2a-1111-4222-8333-944455556666",
  softRebootsCount: rng.int(10),
});

function validFrame(machineId: string): unknown {
  return rng.pick([
    () => ({ kind: "hello", v: PROTOCOL_VERSION, identity: identity(machineId), state }),
    () => ({ kind: "state", v: PROTOCOL_VERSION, state }),
    () => ({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: String(rng.int(1e9)) }),
    () => ({ kind: "event", v: PROTOCOL_VERSION, id: `fz-${rng.int(1e9).toString(36)}-x`, event: shutdown() }),
  ])();
}

function deepNesting(levels: number) {
  return `${"[".repeat(levels)}${"]".repeat(levels)}`;
}

function rawRequest(bytes: Buffer | string): Promise<void> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(2_000, done);
    socket.on("error", done);
    socket.on("close", done);
    socket.on("data", () => {});
    socket.write(bytes, () => {
      if (rng.next() < 0.5) socket.end();
    });
    setTimeout(done, 500 + rng.int(500));
  });
}

async function healthy() {
  const response = await fetch(`${control.url}/healthz`);
  return response.status;
}

describe(`the agent gateway under fuzzing (seed ${SEED})`, () => {
  it("survives random unauthenticated bytes, requests and upgrades", async () => {
    const methods = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "X", "G\u00e9T"];
    const paths = [
      "/",
      "//[",
      "/agent/",
      AGENT_WS_PATH,
      `${AGENT_WS_PATH}/enroll`,
      "/%",
      "/healthz?%%",
      "*",
      "/a/../../b",
    ];
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 150; i++) {
      const kind = rng.int(4);
      const request =
        kind === 0
          ? rng.bytes(1 + rng.int(2_000))
          : kind === 1
            ? `${rng.pick(methods)} ${rng.pick(paths)} HTTP/1.1\r\nHost: x\r\nContent-Length: ${rng.int(100)}\r\n\r\n${rng.bytes(rng.int(80)).toString("latin1")}`
            : kind === 2
              ? `GET ${rng.pick(paths)} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: ${rng.pick(["13", "8", "x"])}\r\nSec-WebSocket-Key: ${rng.bytes(16).toString("base64")}\r\nAuthorization: Bearer ${rng.pick(["", "sfn..", "sfn.a.b", rng.bytes(40).toString("latin1")])}\r\n\r\n${rng.bytes(rng.int(50)).toString("latin1")}`
              : `POST ${AGENT_WS_PATH}/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${rng.pick(['5\r\n{"a":\r\n0\r\n\r\n', "zz\r\n", deepNesting(5_000)])}`;
      jobs.push(rawRequest(request));
      if (jobs.length >= 20) await Promise.all(jobs.splice(0));
    }
    await Promise.all(jobs);
    expect(await healthy()).toBe(200);
  });

  it("survives random and hostile frames from enrolled nodes, storing nothing invalid", async () => {
    const token = await newToken(t.db);
    for (let round = 0; round < 12; round++) {
      const machineId = machineIdOf(50_000 + round);
      const { body } = await enroll(control.url, { token, machineId, hostname: `fuzz-${round}` });
      const agent = await connect(control.url, body.credential);
      if (!agent.opened.ok) throw new Error(`seed ${SEED}: connection refused`);
      // Half the rounds greet first; the others start with whatever comes.
      if (round % 2 === 0) {
        agent.hello(machineId);
        await agent.next("welcome").catch(() => {});
      }
      const frames = 20 + rng.int(60);
      for (let i = 0; i < frames && agent.ws.readyState === agent.ws.OPEN; i++) {
        const roll = rng.next();
        if (roll < 0.1) agent.ws.send(rng.bytes(rng.int(300)));
        else if (roll < 0.2) agent.ws.send(rng.bytes(rng.int(300)).toString("latin1"));
        else if (roll < 0.25) agent.ws.send(deepNesting(10_000));
        else if (roll < 0.3) agent.ws.send(JSON.stringify(rng.pick(ODD_VALUES)));
        else if (roll < 0.7) agent.ws.send(JSON.stringify(mutate(validFrame(machineId))));
        else agent.ws.send(JSON.stringify(validFrame(machineId)));
        // Bursts and pauses.
        if (rng.next() < 0.1) await new Promise((r) => setTimeout(r, rng.int(30)));
      }
      await new Promise((r) => setTimeout(r, 100));
      agent.ws.close();
    }
    expect(await healthy()).toBe(200);

    // Nothing invalid was stored: every event parses, every node's identity is one the protocol allows.
    const events = await t.db.nodeEvent.findMany();
    for (const event of events)
      expect(agentEvent.safeParse(event.payload).success, JSON.stringify(event.payload)).toBe(true);
    const nodes = await t.db.node.findMany();
    for (const node of nodes) {
      expect(nodeIdentity.shape.hostname.safeParse(node.hostname).success, node.hostname).toBe(true);
      expect(Object.hasOwn({}, "polluted")).toBe(false);
    }
  }, 120_000);

  it("serves a real agent afterwards: enrollment, hello, an event acked, a command delivered", async () => {
    const machineId = machineIdOf(60_000);
    const enrolled = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: "after-fuzz" });
    expect(enrolled.status).toBe(201);
    const agent = await connect(control.url, enrolled.body.credential);
    agent.hello(machineId);
    await agent.next("welcome");
    agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-after-fuzz-1", event: shutdown() });
    expect(await agent.next("ack")).toMatchObject({ ids: ["evt-after-fuzz-1"] });
    const command = await t.db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId: enrolled.body.nodeId!, requireNextroot: false, requestedById: null }),
    );
    expect((await agent.next("command")).id).toBe(command.id);
    agent.ws.close();
  });
});
