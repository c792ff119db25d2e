import { createPrismaClient } from "@softfleet/db";
import { commandsToSend, requestSoftReboot, sweepStaleNodes } from "@softfleet/fleet";
import { CloseCode, EVENT_NOT_STORED, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, enroll, identity, machineIdOf, newToken, startGateway, state } from "./testing";

let t: TestDatabase;
let control: Awaited<ReturnType<typeof startGateway>>;
let counter = 100;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startGateway(t.db, t.url, { presenceWriteMs: 100 });
});
afterAll(async () => {
  await control.close();
  await t.drop();
});

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 250 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}

/** A freshly enrolled node, connected and greeted. */
async function enrolledNode() {
  const machineId = machineIdOf(counter++);
  const { body } = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: `n-${counter}` });
  const agent = await connect(control.url, body.credential);
  agent.hello(machineId);
  await agent.next("welcome");
  return { machineId, nodeId: body.nodeId!, credential: body.credential!, agent };
}

/** The agent's "accepted" for a command, as the event it spools. */
const accepted = (id: string, commandId: string) => ({
  kind: "event" as const,
  v: PROTOCOL_VERSION,
  id,
  event: { type: "command-result" as const, commandId, outcome: "accepted" as const, reason: null },
});

const shutdownEvent = (start = true) => ({
  type: "shutdown-signal",
  start,
  shutdownType: "soft-reboot",
  monotonicUsec: "5000000123",
  wallclock: new Date().toISOString(),
  bootId: "0b5c1e2a-1111-4222-8333-944455556666",
  softRebootsCount: 0,
});

describe("enrollment", () => {
  it("gives a node its own credential for a valid token, stored hashed and audited", async () => {
    const token = await newToken(t.db, { maxUses: 1 });
    const machineId = machineIdOf(1);
    const result = await enroll(control.url, { token, machineId, hostname: "web-1" });
    expect(result.status).toBe(201);
    expect(result.body.credential).toMatch(/^sfn\.\w+\.[\w-]{43}$/);
    const node = await t.db.node.findUniqueOrThrow({ where: { machineId } });
    expect(node.credentialHash).toMatch(/^[0-9a-f]{64}$/);
    expect(node.credentialHash).not.toContain(result.body.credential!.split(".")[2]);
    const audit = await t.db.auditEntry.findFirstOrThrow({ where: { targetId: node.id } });
    expect(audit).toMatchObject({ actorType: "agent", action: "node.enrolled", targetName: "web-1" });
    // The token allowed one use.
    const again = await enroll(control.url, { token, machineId: machineIdOf(2), hostname: "web-2" });
    expect(again).toEqual({
      status: 403,
      body: { error: "the enrollment token has been used 1 times, its limit", code: "invalid-token" },
    });
  });

  it("refuses bad requests with a reason, storing nothing", async () => {
    const before = await t.db.node.count();
    expect(await enroll(control.url, "{not json")).toEqual({ status: 400, body: { error: "the body is not JSON" } });
    expect(
      (await enroll(control.url, { token: "sfe_nope-nope-nope", machineId: machineIdOf(3), hostname: "x" })).body,
    ).toEqual({
      error: "the enrollment token is not a known enrollment token",
      code: "invalid-token",
    });
    const invalid = await enroll(control.url, { token: await newToken(t.db), machineId: "ABC", hostname: "x" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toContain("machineId: must be 32 lowercase hex digits");
    const expired = await enroll(control.url, {
      token: await newToken(t.db, { ttlHours: -1 }),
      machineId: machineIdOf(4),
      hostname: "x",
    });
    expect(expired.body.error).toBe("the enrollment token has expired");
    expect(await t.db.node.count()).toBe(before);
  });
});

describe("the agent WebSocket", () => {
  it("greets a node, stores each event once and acknowledges every copy", async () => {
    const { nodeId, agent } = await enrolledNode();
    expect(await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).toMatchObject({
      status: "online",
      imageVersion: "1",
      systemdVersion: 257,
      labels: { rack: "r1" },
      simulated: false,
      inhibitor: "held",
    });
    const event = { kind: "event", v: PROTOCOL_VERSION, id: "evt-0001-aaaa", event: shutdownEvent() };
    agent.send(event);
    expect(await agent.next("ack")).toMatchObject({ ids: ["evt-0001-aaaa"] });
    agent.send(event);
    expect(await agent.next("ack")).toMatchObject({ ids: ["evt-0001-aaaa"] });
    expect(await t.db.nodeEvent.count({ where: { nodeId } })).toBe(1);
    agent.ws.close();
  });

  it("names an event the database cannot store yet (not acked), and stores it once when it comes again", async () => {
    const { nodeId, agent } = await enrolledNode();
    // The database refuses this event's insert as a transient failure (a serialization failure) twice:
    // in its batch, and then alone (a failed batch's events are each tried once more on their own).
    const owner = createPrismaClient(t.ownerUrl);
    await owner.$executeRawUnsafe(`CREATE SEQUENCE busy_once`);
    await owner.$executeRawUnsafe(`GRANT USAGE ON SEQUENCE busy_once TO PUBLIC`);
    await owner.$executeRawUnsafe(`
      CREATE FUNCTION busy_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.id = 'evt-busy-0001' AND nextval('busy_once') <= 2 THEN
          RAISE EXCEPTION 'could not serialize access (test)' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$`);
    await owner.$executeRawUnsafe(
      `CREATE TRIGGER busy_once BEFORE INSERT ON "NodeEvent" FOR EACH ROW EXECUTE FUNCTION busy_once()`,
    );
    try {
      const event = { kind: "event", v: PROTOCOL_VERSION, id: "evt-busy-0001", event: shutdownEvent() };
      agent.send(event);
      expect(await agent.next("error")).toMatchObject({ code: EVENT_NOT_STORED, ref: "evt-busy-0001" });
      expect(await t.db.nodeEvent.count({ where: { nodeId } })).toBe(0);
      agent.send(event);
      expect(await agent.next("ack")).toMatchObject({ ids: ["evt-busy-0001"] });
      expect(await t.db.nodeEvent.count({ where: { nodeId } })).toBe(1);
    } finally {
      await owner.$executeRawUnsafe(`DROP TRIGGER busy_once ON "NodeEvent"`);
      await owner.$executeRawUnsafe(`DROP FUNCTION busy_once`);
      await owner.$executeRawUnsafe(`DROP SEQUENCE busy_once`);
      await owner.$disconnect();
      agent.ws.close();
    }
  });

  it("stores the events that arrived before a connection closed, even when it gets to them afterwards", async () => {
    const { nodeId, agent } = await enrolledNode();
    // A host going down right after its shutdown signal: the frames are in, the connection is gone.
    const ids = Array.from({ length: 200 }, (_, i) => `evt-gone-${String(i).padStart(4, "0")}`);
    for (const id of ids) agent.send({ kind: "event", v: PROTOCOL_VERSION, id, event: shutdownEvent() });
    await new Promise<void>((resolve) => agent.ws.once("close", () => resolve()) && agent.ws.close());
    await until(async () => (await t.db.nodeEvent.count({ where: { nodeId } })) === ids.length);
    // The node went down to reboot: the closed connection did not leave it "offline".
    await until(async () => (await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status === "rebooting");
  });

  it.each([
    ["malformed JSON", "{kind: hello", "malformed", "not JSON"],
    ["wrong types", { kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: 12 }, "invalid", "monotonicUsec"],
    ["an unknown kind", { kind: "reboot-now", v: PROTOCOL_VERSION }, "unknown-kind", "kind"],
    [
      "another protocol version",
      { kind: "heartbeat", v: 99, monotonicUsec: "1" },
      "invalid",
      "must be protocol version 1",
    ],
    [
      "an event of an unknown type",
      { kind: "event", v: PROTOCOL_VERSION, id: "evt-x-0001", event: { type: "explode" } },
      "invalid-event",
      "event.type",
    ],
  ])("answers %s with an error frame saying what is wrong, storing nothing", async (_name, frame, code, text) => {
    const { nodeId, agent } = await enrolledNode();
    agent.send(frame);
    const error = await agent.next("error");
    expect(error.code).toBe(code);
    expect(error.message).toContain(text);
    expect(await t.db.nodeEvent.count({ where: { nodeId } })).toBe(0);
    agent.ws.close();
  });

  it.each([
    ["a µs value past int64", { monotonicUsec: "9223372036854775808" }, "at most 2^63-1 microseconds"],
    ["a 20-digit µs value", { monotonicUsec: "99999999999999999999" }, "microseconds"],
    ["a count past int32", { softRebootsCount: 2 ** 40 }, "at most 2^31-1"],
  ])(
    "refuses an event with %s for good: the reason and an ack, so the agent stops replaying it",
    async (_name, change, text) => {
      const { nodeId, agent } = await enrolledNode();
      const id = `evt-bad-${Math.random().toString(36).slice(2, 10)}`;
      agent.send({ kind: "event", v: PROTOCOL_VERSION, id, event: { ...shutdownEvent(), ...change } });
      const error = await agent.next("error");
      expect(error).toMatchObject({ code: "invalid-event", ref: id });
      expect(error.message).toContain(text);
      expect(await agent.next("ack")).toMatchObject({ ids: [id] });
      expect(await t.db.nodeEvent.count({ where: { nodeId } })).toBe(0);
      // The connection goes on: a good event is stored and acked.
      agent.send({ kind: "event", v: PROTOCOL_VERSION, id: `${id}-ok`, event: shutdownEvent() });
      expect(await agent.next("ack")).toMatchObject({ ids: [`${id}-ok`] });
      agent.ws.close();
    },
  );

  it("keeps event ids per node: another node's use of an id does not drop this node's event", async () => {
    const a = await enrolledNode();
    const b = await enrolledNode();
    for (const node of [a, b]) {
      node.agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-shared-0001", event: shutdownEvent() });
      expect(await node.agent.next("ack")).toMatchObject({ ids: ["evt-shared-0001"] });
    }
    expect(await t.db.nodeEvent.count({ where: { id: "evt-shared-0001" } })).toBe(2);
    // A replay by the same node is still stored once.
    a.agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-shared-0001", event: shutdownEvent() });
    await a.agent.next("ack");
    expect(await t.db.nodeEvent.count({ where: { nodeId: a.nodeId, id: "evt-shared-0001" } })).toBe(1);
    a.agent.ws.close();
    b.agent.ws.close();
  });

  it("closes on an oversized frame with 1009", async () => {
    const { agent } = await enrolledNode();
    agent.send(JSON.stringify({ kind: "heartbeat", pad: "x".repeat(MAX_FRAME_BYTES) }));
    expect((await agent.waitClosed()).code).toBe(CloseCode.tooBig);
  });

  it("refuses a missing, wrong or revoked credential before the connection opens", async () => {
    const { nodeId, credential, agent } = await enrolledNode();
    expect((await connect(control.url, undefined)).opened).toMatchObject({ ok: false, status: 401 });
    const wrong = await connect(control.url, `${credential.slice(0, -4)}AAAA`);
    expect(wrong.opened).toEqual({
      ok: false,
      status: 401,
      body: JSON.stringify({ error: "the credential is wrong" }),
    });

    // Revoking closes the live connection and refuses the next one.
    await t.db.$transaction(async (tx) => {
      await tx.node.update({ where: { id: nodeId }, data: { revokedAt: new Date(), credentialHash: null } });
      await tx.$executeRaw`SELECT pg_notify('softfleet_control', ${JSON.stringify({ kind: "revoked", nodeId })})`;
    });
    expect(await agent.waitClosed()).toEqual({ code: CloseCode.revoked, reason: "this node was revoked by an admin" });
    const after = await connect(control.url, credential);
    expect(after.opened).toMatchObject({
      ok: false,
      status: 401,
      body: JSON.stringify({ error: "this node was revoked by an admin" }),
    });
  });

  it("closes when one node's credential speaks for another machine, storing nothing", async () => {
    const { credential, nodeId } = await enrolledNode();
    const other = await enrolledNode();
    const impostor = await connect(control.url, credential);
    impostor.hello(other.machineId);
    const closed = await impostor.waitClosed();
    expect(closed.code).toBe(CloseCode.policyViolation);
    expect(closed.reason).toContain(`not ${other.machineId}`);
    const node = await t.db.node.findUniqueOrThrow({ where: { id: nodeId } });
    expect(node.machineId).not.toBe(other.machineId);
  });

  it("delivers a requested soft-reboot and records the agent's answer", async () => {
    const { nodeId, agent } = await enrolledNode();
    const command = await t.db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId, requireNextroot: true, requestedById: null }),
    );
    const frame = await agent.next("command");
    expect(frame).toMatchObject({ id: command.id, command: { type: "soft-reboot", requireNextroot: true } });
    expect((await t.db.nodeCommand.findUniqueOrThrow({ where: { id: command.id } })).status).toBe("sent");
    agent.send({
      kind: "event",
      v: PROTOCOL_VERSION,
      id: "evt-cmd-result-1",
      event: {
        type: "command-result",
        commandId: command.id,
        outcome: "refused",
        reason: "no image is staged at /run/nextroot",
      },
    });
    await agent.next("ack");
    expect(await t.db.nodeCommand.findUniqueOrThrow({ where: { id: command.id } })).toMatchObject({
      status: "refused",
      reason: "no image is staged at /run/nextroot",
    });
  });

  it("sends a command again after a reconnect until the agent's answer is stored", async () => {
    const { machineId, nodeId, credential, agent } = await enrolledNode();
    const command = await t.db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId, requireNextroot: false, requestedById: null }),
    );
    expect(await agent.next("command")).toMatchObject({ id: command.id });
    // The connection dies with the command in flight: unanswered, it is sent again on the next hello.
    agent.ws.close();
    await agent.waitClosed();
    const again = await connect(control.url, credential);
    again.hello(machineId);
    await again.next("welcome");
    expect(await again.next("command")).toMatchObject({ id: command.id });
    again.send(accepted("evt-cmd-result-2", command.id));
    await again.next("ack");
    again.ws.close();
    await again.waitClosed();
    // Answered: not sent any more.
    const third = await connect(control.url, credential);
    third.hello(machineId);
    await third.next("welcome");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third.frames.filter((f) => f.kind === "command")).toEqual([]);
    third.ws.close();
  });

  it("sends a command once per connection, and never turns an answered command back into a sent one", async () => {
    const { nodeId, agent } = await enrolledNode();
    const first = await t.db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId, requireNextroot: false, requestedById: null }),
    );
    expect(await agent.next("command")).toMatchObject({ id: first.id });
    // A second command makes control deliver again while the first is in flight: only the new one goes.
    const second = await t.db.$transaction((tx) =>
      requestSoftReboot(tx, { nodeId, requireNextroot: false, requestedById: null }),
    );
    expect(await agent.next("command")).toMatchObject({ id: second.id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // (next() takes the frames it returns: any left would be the first command sent again.)
    expect(agent.frames.filter((f) => f.kind === "command")).toEqual([]);
    // A delivery after the agent's answer was stored does not turn it back into "sent", nor send it
    // (in CI, a reboot's record then found no accepted command and its rollout waited in vain).
    agent.send(accepted("evt-cmd-result-3", first.id));
    await agent.next("ack");
    const delivery = await commandsToSend(t.db, nodeId, []);
    expect(delivery.send.map((c) => c.id)).toEqual([second.id]);
    expect(delivery.waiting).toEqual([second.id]);
    expect((await t.db.nodeCommand.findUniqueOrThrow({ where: { id: first.id } })).status).toBe("accepted");
    agent.ws.close();
  });

  it("stores a reboot record with the node's exact microseconds", async () => {
    const { nodeId, agent } = await enrolledNode();
    const record = {
      type: "reboot-record",
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      beforeLost: false,
      bootIdBefore: "0b5c1e2a-1111-4222-8333-944455556666",
      bootIdAfter: "0b5c1e2a-1111-4222-8333-944455556666",
      softRebootsCountBefore: 0,
      softRebootsCountAfter: 1,
      imageBefore: { id: "debian", versionId: "13", imageId: "softfleet-lab", imageVersion: "1" },
      imageAfter: { id: "debian", versionId: "13", imageId: "softfleet-lab", imageVersion: "2" },
      phases: {
        signalUsec: "9007199254740993",
        shutdownStartUsec: "9007199254750993",
        userspaceUsec: "9007199255490993",
        finishUsec: "9007199256410993",
        agentConnectedUsec: "9007199256600001",
      },
      units: [],
      signalEventId: null,
    };
    agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-record-0001", event: record });
    await agent.next("ack");
    const row = await t.db.rebootRecord.findFirstOrThrow({ where: { nodeId } });
    // Beyond 2^53: kept exactly as BigInt, not rounded through a JS number.
    expect(row.signalUsec).toBe(9007199254740993n);
    expect(row.finishUsec).toBe(9007199256410993n);
    expect(row).toMatchObject({
      kind: "soft-reboot",
      imageVersionBefore: "1",
      imageVersionAfter: "2",
      trigger: "external",
    });
  });

  it("shows a node as rebooting from logind's signal until it says hello again", async () => {
    const { nodeId, machineId, credential, agent } = await enrolledNode();
    agent.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-reboot-0001", event: shutdownEvent(true) });
    await agent.next("ack");
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("rebooting");
    agent.ws.close();
    await agent.waitClosed();
    await new Promise((r) => setTimeout(r, 200));
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("rebooting");
    const back = await connect(control.url, credential);
    back.hello(machineId);
    await back.next("welcome");
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("online");
    back.ws.close();
  });

  it("stores a signal of the node's previous boot sent after it came back, without marking it rebooting again", async () => {
    const { nodeId, machineId, credential, agent } = await enrolledNode();
    agent.ws.close();
    await agent.waitClosed();
    // The node rebooted: its new boot says hello, then sends the old boot's signal it never had acked.
    const back = await connect(control.url, credential);
    back.send({
      kind: "hello",
      v: PROTOCOL_VERSION,
      identity: identity(machineId, { bootId: "9d67a3d2-2804-410a-94ef-a7d5242fab4c" }),
      state,
    });
    await back.next("welcome");
    back.send({ kind: "event", v: PROTOCOL_VERSION, id: "evt-late-signal-01", event: shutdownEvent(true) });
    await back.next("ack");
    expect(await t.db.nodeEvent.count({ where: { nodeId, id: "evt-late-signal-01" } })).toBe(1);
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("online");
    back.ws.close();
  });

  it("sweeps nodes whose heartbeats stopped offline, and a heartbeat brings one back online", async () => {
    const { nodeId, agent } = await enrolledNode();
    const long = new Date(Date.now() - 3_600_000);
    await t.db.node.update({ where: { id: nodeId }, data: { lastSeenAt: long } });
    const swept = await t.db.$transaction((tx) =>
      sweepStaleNodes(tx, { onlineSince: new Date(Date.now() - 30_000), rebootingSince: long }),
    );
    expect(swept).toBeGreaterThanOrEqual(1);
    expect((await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status).toBe("offline");
    agent.send({ kind: "heartbeat", v: PROTOCOL_VERSION, monotonicUsec: "1" });
    await until(async () => (await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status === "online");
    agent.ws.close();
  });

  it("keeps the agent's lock state current: a lost lock shows as an unhealthy agent", async () => {
    const { nodeId, agent } = await enrolledNode();
    agent.send({ kind: "state", v: PROTOCOL_VERSION, state: { ...state, inhibitor: "failed" } });
    await until(async () => (await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).inhibitor === "failed");
    agent.ws.close();
  });

  it("marks a node offline when its connection ends", async () => {
    const { nodeId, agent } = await enrolledNode();
    agent.ws.close();
    await agent.waitClosed();
    await until(async () => (await t.db.node.findUniqueOrThrow({ where: { id: nodeId } })).status === "offline");
  });
});
