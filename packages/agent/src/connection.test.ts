import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_WS_PATH, type AgentEvent, PROTOCOL_VERSION } from "@softfleet/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  boundedHeartbeatSec,
  EVENT_WINDOW,
  GatewayConnection,
  HEARTBEAT_SEC,
  NOT_READY_MAX_RETRIES,
  nextReconnect,
} from "./connection";
import { controlEndpoint } from "./enroll";
import { createIdGenerator } from "./ids";
import { setLogSink } from "./log";
import { Spool } from "./spool";
import { FAKE_BOOT_ID, FAKE_MACHINE_ID } from "./testing/fake-host";
import { type FakeGateway, startFakeGateway, TEST_CREDENTIAL, until } from "./testing/gateway";

let dir: string;
let gateway: FakeGateway;
let connection: GatewayConnection | null = null;
let restoreLog: (line: string) => void;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-conn-"));
  gateway = await startFakeGateway();
  restoreLog = setLogSink(() => {});
});
afterEach(async () => {
  connection?.stop();
  await gateway.close();
  setLogSink(restoreLog);
  rmSync(dir, { recursive: true, force: true });
});

const commandResult = (n: number): AgentEvent => ({
  type: "command-result",
  commandId: `command-${String(n).padStart(4, "0")}`,
  outcome: "accepted",
  reason: null,
});

function connect(spool: Spool, onCommand?: (id: string) => void) {
  const conn = new GatewayConnection({
    url: controlEndpoint(gateway.url, AGENT_WS_PATH, "ws"),
    spool,
    newEventId: createIdGenerator(),
    heartbeatSec: 10,
    backoff: { minMs: 20, maxMs: 100 },
    hello: async () => ({
      identity: {
        machineId: FAKE_MACHINE_ID,
        hostname: "node-7",
        bootId: FAKE_BOOT_ID,
        osRelease: { id: "debian", versionId: "13", imageId: null, imageVersion: null },
        systemdVersion: 257,
        agentVersion: "test",
        labels: {},
        simulated: false,
      },
      state: {
        softRebootsCount: 0,
        nextroot: { staged: false, imageVersion: null },
        units: [],
        monotonicUsec: "1",
        inhibitor: "held",
      },
    }),
    onCommand: (command) => onCommand?.(command.id),
  });
  conn.start(TEST_CREDENTIAL);
  return conn;
}

describe("GatewayConnection", () => {
  it("replays the spool after reconnects: every event stored once, in order, none left behind", async () => {
    const spool = new Spool(join(dir, "spool"));
    connection = connect(spool);
    // Published before the connection is up: spooled only.
    const ids = [connection.publish(commandResult(0)), connection.publish(commandResult(1))];
    await until(() => gateway.stored.size === 2, 5000, "the first replay");

    // The server stores but its acks are lost, then the connection drops.
    gateway.ackEvents = false;
    ids.push(connection.publish(commandResult(2)), connection.publish(commandResult(3)));
    await until(() => gateway.stored.size === 4, 5000, "live events");
    // The server goes away and stays away until the next event is made, so it is made while disconnected.
    gateway.refuseConnections = true;
    gateway.dropConnections();
    await until(() => !connection!.connected, 5000, "the disconnect");
    ids.push(connection.publish(commandResult(4)));

    gateway.ackEvents = true;
    gateway.refuseConnections = false;
    await until(() => gateway.connections === 2 && gateway.stored.size === 5, 15_000, "the replay after reconnecting");
    await until(() => spool.pending().length === 0, 5000, "the acks");

    expect(gateway.violations).toEqual([]);
    expect([...gateway.stored.keys()]).toEqual(ids);
    expect([...gateway.stored.values()]).toEqual([0, 1, 2, 3, 4].map(commandResult));
    // Unacked events were sent again (the server dedupes by id); acked ones were not.
    expect(Object.fromEntries(gateway.received)).toEqual({
      [ids[0]!]: 1,
      [ids[1]!]: 1,
      [ids[2]!]: 2,
      [ids[3]!]: 2,
      [ids[4]!]: 1,
    });
    // Each connection began with hello, and replays follow it in id order.
    const second = gateway.frames.slice(gateway.frames.findLastIndex((f) => f.kind === "hello"));
    expect(second.map((f) => (f.kind === "event" ? f.id : f.kind))).toEqual(["hello", ids[2], ids[3], ids[4]]);
  });

  it("sends an event the server could not store yet again on the same connection, until it is acked", async () => {
    const spool = new Spool(join(dir, "spool"));
    connection = connect(spool);
    await until(() => connection!.connected, 5000, "the connection");
    const id = connection.publish(commandResult(0));
    gateway.notStoredOnce.add(id);
    const other = connection.publish(commandResult(1));
    await until(() => spool.pending().length === 0, 5000, "both acked");
    expect(gateway.received.get(id)).toBe(2);
    expect(gateway.received.get(other)).toBe(1);
    expect([...gateway.stored.keys()].sort()).toEqual([id, other].sort());
    // Without a reconnect: the event was not left waiting for one.
    expect(gateway.connections).toBe(1);
  });

  it("replays what an earlier agent process left in the spool", async () => {
    const earlier = new Spool(join(dir, "spool"));
    const next = createIdGenerator();
    const leftover = [next(), next()];
    for (const [i, id] of leftover.entries()) {
      earlier.put({ kind: "event", v: PROTOCOL_VERSION, id, event: commandResult(i) });
    }
    const spool = new Spool(join(dir, "spool"));
    connection = connect(spool);
    await until(() => spool.pending().length === 0 && gateway.stored.size === 2, 5000, "the replay");
    expect([...gateway.stored.keys()]).toEqual(leftover);
  });

  it("replays a long spool a window at a time, never more unacked than EVENT_WINDOW", async () => {
    const earlier = new Spool(join(dir, "spool"));
    const next = createIdGenerator();
    const ids = Array.from({ length: EVENT_WINDOW * 3 }, () => next());
    for (const [i, id] of ids.entries())
      earlier.put({ kind: "event", v: PROTOCOL_VERSION, id, event: commandResult(i) });
    let unacked = 0;
    let most = 0;
    gateway.ackDelayMs = 1;
    gateway.onEvent = () => {
      unacked += 1;
      most = Math.max(most, unacked);
    };
    gateway.onAck = () => {
      unacked -= 1;
    };
    const spool = new Spool(join(dir, "spool"));
    connection = connect(spool);
    await until(() => gateway.stored.size === ids.length, 15_000, "the whole replay");
    expect([...gateway.stored.keys()]).toEqual(ids);
    expect(most).toBeLessThanOrEqual(EVENT_WINDOW);
    expect(most).toBeGreaterThan(EVENT_WINDOW / 2);
  });

  it("resolves an ack wait on the ack, and at once when it cannot come", async () => {
    const spool = new Spool(join(dir, "spool"));
    connection = connect(spool);
    const offline = connection.publish(commandResult(9));
    // Not yet connected: waiting cannot help the shutdown, so it does not wait.
    expect(await connection.waitForAck(offline, 1000)).toBe(false);
    await until(() => connection!.connected, 5000, "the connection");
    const id = connection.publish(commandResult(10));
    expect(await connection.waitForAck(id, 2000)).toBe(true);
    gateway.ackEvents = false;
    const unacked = connection.publish(commandResult(11));
    const started = Date.now();
    expect(await connection.waitForAck(unacked, 150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("passes valid commands on and ignores bad frames", async () => {
    const spool = new Spool(join(dir, "spool"));
    const commands: string[] = [];
    connection = connect(spool, (id) => commands.push(id));
    await until(() => connection!.connected, 5000, "the connection");
    gateway.send({
      kind: "command",
      v: PROTOCOL_VERSION,
      id: "cmd-0000001",
      command: { type: "soft-reboot", requireNextroot: false, skipInhibitors: false },
    });
    gateway.send({
      kind: "command",
      v: 2 as 1,
      id: "cmd-0000002",
      command: { type: "soft-reboot", requireNextroot: false, skipInhibitors: false },
    });
    await until(() => commands.length === 1, 5000, "the command");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(commands).toEqual(["cmd-0000001"]);
  });
});

describe("the server's heartbeat interval", () => {
  it("is clamped into the agent's own range: never a hot loop, never silence", () => {
    expect(boundedHeartbeatSec(10, 10)).toBe(10);
    expect(boundedHeartbeatSec(0, 10)).toBe(10);
    expect(boundedHeartbeatSec(-5, 10)).toBe(10);
    expect(boundedHeartbeatSec(1e12, 10)).toBe(HEARTBEAT_SEC.max);
    expect(boundedHeartbeatSec(Number.NaN, 10)).toBe(10);
    expect(boundedHeartbeatSec(1, 10)).toBe(HEARTBEAT_SEC.min);
    // setInterval's largest delay is 2^31-1 ms: the bound keeps far below it.
    expect(HEARTBEAT_SEC.max * 1000).toBeLessThan(2 ** 31 - 1);
  });
});

describe("when the agent connects again", () => {
  const backoff = { minMs: 500, maxMs: 30_000 };
  const upper = () => 1; // the top of each jittered range

  it("backs off, doubling up to the ceiling, after a failure of control or of the path to it", () => {
    let state = { attempts: 0, notReadyRetries: 0 };
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextReconnect(state, false, backoff, upper);
      delays.push(next.delayMs);
      state = next;
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it("retries within 250 ms, without growing the backoff, while the host's own network is not up yet", () => {
    // Early in a boot: the agent starts before the network is configured.
    let state = { attempts: 3, notReadyRetries: 0 };
    for (let i = 0; i < 10; i++) {
      const next = nextReconnect(state, true, backoff, upper);
      expect(next.delayMs).toBe(250);
      expect(next.attempts).toBe(3);
      state = next;
    }
    // Once it is up, a refusal by control backs off from where it was.
    expect(nextReconnect(state, false, backoff, upper)).toEqual({ attempts: 4, notReadyRetries: 0, delayMs: 4000 });
  });

  it("falls back to the backoff when the network stays down, rather than retrying four times a second for ever", () => {
    let state = { attempts: 0, notReadyRetries: 0 };
    for (let i = 0; i < NOT_READY_MAX_RETRIES; i++) state = nextReconnect(state, true, backoff, upper);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = nextReconnect(state, true, backoff, upper);
      delays.push(next.delayMs);
      state = next;
    }
    expect(delays).toEqual([500, 1000, 2000, 4000]);
  });
});
