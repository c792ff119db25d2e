import { CloseCode, PROTOCOL_VERSION } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PerMinute, TokenBucket } from "./flood";
import { connect, enroll, machineIdOf, newToken, startGateway, state } from "./testing";

let t: TestDatabase;
let control: Awaited<ReturnType<typeof startGateway>>;
let counter = 7000;

beforeAll(async () => {
  t = await createTestDatabase();
  // Small limits, so a test floods them in a moment; the defaults are far higher.
  control = await startGateway(t.db, t.url, {
    limits: { framesPerSec: 20, frameBurst: 100, statesPerMinute: 5, eventsPerMinute: 30, maxQueued: 200 },
  });
});
afterAll(async () => {
  await control.close();
  await t.drop();
});

async function greeted() {
  const machineId = machineIdOf(counter++);
  const { body } = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: `f-${counter}` });
  const agent = await connect(control.url, body.credential);
  agent.hello(machineId);
  await agent.next("welcome");
  return { agent, nodeId: body.nodeId!, machineId };
}

const shutdown = () => ({
  type: "shutdown-signal",
  start: true,
  shutdownType: "soft-reboot",
  monotonicUsec: "5000000123",
  wallclock: new Date().toISOString(),
  bootId: "0b5c1e2a-1111-4222-8333-944455556666",
  softRebootsCount: 0,
});

describe("flood control", () => {
  it("closes a connection that sends frames faster than its limit, while another node is served", async () => {
    const flooder = await greeted();
    const other = await greeted();
    for (let i = 0; i < 1_000; i++) flooder.agent.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: "1" });
    const closed = await flooder.agent.waitClosed();
    expect(closed.code).toBe(CloseCode.policyViolation);
    expect(closed.reason).toContain("frames a second");
    other.agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-other-0001", event: shutdown() });
    expect(await other.agent.next("ack")).toMatchObject({ ids: ["evt-other-0001"] });
    other.agent.ws.close();
  });

  it("accepts one hello per connection", async () => {
    const { agent, machineId } = await greeted();
    agent.hello(machineId);
    const closed = await agent.waitClosed();
    expect(closed).toMatchObject({ code: CloseCode.policyViolation, reason: "one hello per connection" });
  });

  it("limits state updates (each reaches every browser)", async () => {
    const { agent } = await greeted();
    for (let i = 0; i < 8; i++) agent.send({ kind: "state", v: PROTOCOL_VERSION, state });
    const closed = await agent.waitClosed();
    expect(closed.code).toBe(CloseCode.policyViolation);
    expect(closed.reason).toContain("state updates a minute");
  });

  it("caps a node's events a minute across its connections; what is over the cap is not acked, so not lost", async () => {
    const { agent, nodeId, machineId } = await greeted();
    const acked: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `evt-cap-${String(i).padStart(4, "0")}`;
      agent.send({ kind: "event", v: PROTOCOL_VERSION, id, event: shutdown() });
    }
    const closed = await agent.waitClosed();
    expect(closed.code).toBe(CloseCode.tryAgainLater);
    expect(closed.reason).toContain("events a minute");
    for (const frame of agent.frames) if (frame.kind === "ack") acked.push(...frame.ids);
    const stored = await t.db.nodeEvent.findMany({ where: { nodeId }, select: { id: true } });
    // Every stored event was acked and every acked one stored; the rest stay with the agent.
    expect(stored.map((e) => e.id).sort()).toEqual(acked.sort());
    expect(stored.length).toBeLessThanOrEqual(30);
    // A new connection of the same node does not reset the cap.
    const credential = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: "x" });
    expect(credential.status).toBe(409);
  });
});

describe("the limiters", () => {
  it("a token bucket allows its burst, then its rate", () => {
    const bucket = new TokenBucket(10, 50, 0);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (bucket.take(1, 0)) allowed++;
    expect(allowed).toBe(50);
    expect(bucket.take(1, 50)).toBe(false);
    expect(bucket.take(1, 100)).toBe(true);
    expect(bucket.take(10, 1_100)).toBe(true);
  });

  it("a per-minute counter counts per key and starts again each minute", () => {
    const counter = new PerMinute(2);
    expect([counter.take("a", 0), counter.take("a", 1), counter.take("a", 2), counter.take("b", 3)]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(counter.take("a", 60_000)).toBe(true);
  });
});
