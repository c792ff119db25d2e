import { allowReenrollment, createEnrollmentToken } from "@softfleet/fleet";
import { CloseCode, ENROLL_PATH } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, enroll, identity, machineIdOf, newToken, startGateway, state } from "./testing";

let t: TestDatabase;
let control: Awaited<ReturnType<typeof startGateway>>;
let counter = 9000;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startGateway(t.db, t.url);
});
afterAll(async () => {
  await control.close();
  await t.drop();
});

async function enrolled() {
  const machineId = machineIdOf(counter++);
  const { status, body } = await enroll(control.url, { token: await newToken(t.db), machineId, hostname: "real-1" });
  expect(status).toBe(201);
  return { machineId, nodeId: body.nodeId!, credential: body.credential! };
}

/** The agent connects with the credential and is greeted. */
async function isServed(machineId: string, credential: string) {
  const agent = await connect(control.url, credential);
  if (!agent.opened.ok) return false;
  agent.hello(machineId);
  await agent.next("welcome");
  agent.ws.close();
  return true;
}

function rekey(machineId: string, credential: string, token?: string) {
  return fetch(`${control.url}${ENROLL_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
    body: JSON.stringify({ machineId, hostname: "real-1", ...(token ? { token } : {}) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { credential?: string; error?: string } }));
}

describe("an existing machine id is never re-keyed by a token", () => {
  it("refuses an impostor with another valid token: the real agent keeps its node, and the refusal is audited", async () => {
    const real = await enrolled();
    const before = await t.db.node.findUniqueOrThrow({ where: { id: real.nodeId } });
    const impostor = await enroll(control.url, {
      token: await newToken(t.db),
      machineId: real.machineId,
      hostname: "impostor",
    });
    expect(impostor.status).toBe(409);
    expect(impostor.body.error).toContain(`machine ${real.machineId} is already enrolled`);
    expect(impostor.body.error).toContain("allow its re-enrollment");
    const after = await t.db.node.findUniqueOrThrow({ where: { id: real.nodeId } });
    expect(after.credentialHash).toBe(before.credentialHash);
    expect(after.hostname).toBe("real-1");
    expect(await isServed(real.machineId, real.credential)).toBe(true);
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "node.enrollment_refused", targetId: real.nodeId },
    });
    expect(audit.details).toMatchObject({ reason: "already-enrolled", hostname: "impostor" });
  });

  it("re-keys with the node's current credential (no token needed); the old credential stops working", async () => {
    const real = await enrolled();
    const rotated = await rekey(real.machineId, real.credential);
    expect(rotated.status).toBe(201);
    expect(rotated.body.credential).not.toBe(real.credential);
    expect(await isServed(real.machineId, rotated.body.credential!)).toBe(true);
    expect(await isServed(real.machineId, real.credential)).toBe(false);
    const audit = await t.db.auditEntry.findFirstOrThrow({ where: { action: "node.rekeyed", targetId: real.nodeId } });
    expect(audit.details).toMatchObject({ path: "current-credential" });
  });

  it("closes the connection made with the old credential (4003) when the node is re-keyed", async () => {
    const real = await enrolled();
    const agent = await connect(control.url, real.credential);
    agent.hello(real.machineId);
    await agent.next("welcome");
    const rotated = await rekey(real.machineId, real.credential);
    expect(rotated.status).toBe(201);
    expect(await agent.waitClosed()).toEqual({
      code: CloseCode.rekeyed,
      reason: "the node's credential was replaced; connect with the new one",
    });
    // The connection made with the new credential stays.
    const renewed = await connect(control.url, rotated.body.credential!);
    renewed.hello(real.machineId);
    await renewed.next("welcome");
    await new Promise((r) => setTimeout(r, 300));
    expect(renewed.ws.readyState).toBe(renewed.ws.OPEN);
    renewed.ws.close();
  });

  it("finds a re-key whose NOTIFY was lost on its periodic check, and closes the old connection", async () => {
    const quick = await startGateway(t.db, t.url, { reconcileMs: 200 });
    try {
      const real = await enrolled();
      const agent = await connect(quick.url, real.credential);
      agent.hello(real.machineId);
      await agent.next("welcome");
      // Changed behind the gateway's back: no NOTIFY at all.
      await t.db.node.update({ where: { id: real.nodeId }, data: { credentialHash: "replaced-elsewhere" } });
      expect((await agent.waitClosed()).code).toBe(CloseCode.rekeyed);
    } finally {
      await quick.close();
    }
  });

  it("refuses another node's credential or a wrong one for the machine", async () => {
    const a = await enrolled();
    const b = await enrolled();
    for (const credential of [b.credential, `${a.credential.slice(0, -4)}AAAA`, "sfn.nope.nope"]) {
      const result = await rekey(a.machineId, credential);
      expect(result.status).toBe(403);
      expect(result.body.error).toContain("is not the current credential");
    }
    expect(await isServed(a.machineId, a.credential)).toBe(true);
  });

  it("re-keys with a token once after an admin allowed it; the allowance is one-shot and expires", async () => {
    const real = await enrolled();
    await t.db.$transaction((tx) => allowReenrollment(tx, real.nodeId, 60));
    const again = await enroll(control.url, {
      token: await newToken(t.db),
      machineId: real.machineId,
      hostname: "real-1",
    });
    expect(again.status).toBe(201);
    expect(again.body.nodeId).toBe(real.nodeId);
    expect(await isServed(real.machineId, again.body.credential!)).toBe(true);
    const audit = await t.db.auditEntry.findFirstOrThrow({ where: { action: "node.rekeyed", targetId: real.nodeId } });
    expect(audit.details).toMatchObject({ path: "admin-allowed" });
    // Used up.
    const third = await enroll(control.url, { token: await newToken(t.db), machineId: real.machineId, hostname: "x" });
    expect(third.status).toBe(409);
    // Expired.
    await t.db.node.update({ where: { id: real.nodeId }, data: { reenrollAllowedUntil: new Date(Date.now() - 1000) } });
    const late = await enroll(control.url, { token: await newToken(t.db), machineId: real.machineId, hostname: "x" });
    expect(late.status).toBe(409);
  });

  it("lets exactly one of 20 concurrent impostors use an allowance", async () => {
    const real = await enrolled();
    await t.db.$transaction((tx) => allowReenrollment(tx, real.nodeId, 60));
    const token = await newToken(t.db);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => enroll(control.url, { token, machineId: real.machineId, hostname: "racer" })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
  });
});

describe("enrollment tokens", () => {
  it("of 20 parallel enrollments on a token with maxUses 1, exactly one succeeds", async () => {
    const token = await newToken(t.db, { maxUses: 1 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        enroll(control.url, { token, machineId: machineIdOf(counter + 100 + i), hostname: `p-${i}` }),
      ),
    );
    counter += 200;
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 403).map((r) => r.body.error)).toEqual(
      Array(19).fill("the enrollment token has been used 1 times, its limit"),
    );
    const row = await t.db.enrollmentToken.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(row.uses).toBe(1);
  });

  it("may be limited to a hostname pattern (a refused hostname uses nothing) and applies its labels over the agent's", async () => {
    const { token, row } = await t.db.$transaction((tx) =>
      createEnrollmentToken(tx, {
        label: "web tier",
        ttlHours: 1,
        maxUses: 5,
        createdById: null,
        hostnamePattern: "web-*.example.com",
        labels: { tier: "web", rack: "token-rack" },
      }),
    );
    const refused = await enroll(control.url, {
      token,
      machineId: machineIdOf(counter++),
      hostname: "db-1.example.com",
    });
    expect(refused).toEqual({
      status: 403,
      body: {
        error: "the enrollment token is for hostnames matching web-*.example.com, not db-1.example.com",
        code: "hostname-not-allowed",
      },
    });
    expect((await t.db.enrollmentToken.findUniqueOrThrow({ where: { id: row.id } })).uses).toBe(0);
    const machineId = machineIdOf(counter++);
    const ok = await enroll(control.url, { token, machineId, hostname: "WEB-7.example.com" });
    expect(ok.status).toBe(201);
    const agent = await connect(control.url, ok.body.credential);
    // The agent says rack=r1 (see testing.identity) and adds its own label: the token's rack wins.
    agent.send({
      kind: "hello",
      v: 1,
      identity: identity(machineId, { hostname: "web-7.example.com", labels: { rack: "r1", own: "yes" } }),
      state,
    });
    await agent.next("welcome");
    agent.ws.close();
    const node = await t.db.node.findUniqueOrThrow({ where: { machineId } });
    expect(node.labels).toEqual({ tier: "web", rack: "token-rack", own: "yes" });
  });

  it("audits refused enrollments at most once a minute per source address, counting the rest", async () => {
    const before = await t.db.auditEntry.count({ where: { action: "node.enrollment_refused" } });
    for (let i = 0; i < 10; i++) {
      const refused = await enroll(control.url, {
        token: "sfe_not-a-real-token",
        machineId: machineIdOf(1),
        hostname: "x",
      });
      expect(refused.status).toBe(403);
    }
    const after = await t.db.auditEntry.count({ where: { action: "node.enrollment_refused" } });
    expect(after - before).toBeLessThanOrEqual(1);
  });
});

describe("audit of what agents do", () => {
  it("records refused connections, at most one entry per source address a minute", async () => {
    const real = await enrolled();
    for (let i = 0; i < 5; i++) {
      const refused = await connect(control.url, `${real.credential.slice(0, -4)}BBBB`);
      expect(refused.opened).toMatchObject({ ok: false, status: 401 });
    }
    const entries = await t.db.auditEntry.findMany({ where: { action: "node.auth_failed", sourceIp: "127.0.0.1" } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorType: "agent" });
  });

  it("records an agent's hostname and label changes, with before and after", async () => {
    const real = await enrolled();
    const agent = await connect(control.url, real.credential);
    agent.send({
      kind: "hello",
      v: 1,
      identity: identity(real.machineId, { hostname: "renamed-1", labels: { tier: "db" } }),
      state,
    });
    await agent.next("welcome");
    agent.ws.close();
    const entry = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "node.identity_changed", targetId: real.nodeId },
      orderBy: { id: "desc" },
    });
    expect(entry.details).toEqual({
      hostname: { before: "real-1", after: "renamed-1" },
      labels: { before: {}, after: { tier: "db" } },
    });
  });

  it("keeps the token's labels over the agent's, and audits nothing when a hello changes nothing", async () => {
    const { token } = await t.db.$transaction((tx) =>
      createEnrollmentToken(tx, {
        label: "prod racks",
        ttlHours: 1,
        maxUses: null,
        createdById: null,
        labels: { env: "prod" },
      }),
    );
    const machineId = machineIdOf(counter++);
    const { body } = await enroll(control.url, { token, machineId, hostname: "db-7" });
    const hello = async () => {
      const agent = await connect(control.url, body.credential);
      const labels = { env: "dev", tier: "db" };
      agent.send({ kind: "hello", v: 1, identity: identity(machineId, { hostname: "db-7", labels }), state });
      await agent.next("welcome");
      agent.ws.close();
      await agent.waitClosed();
    };
    await hello();
    const node = await t.db.node.findUniqueOrThrow({ where: { id: body.nodeId! } });
    // The agent cannot take a label its token set.
    expect(node.labels).toEqual({ env: "prod", tier: "db" });
    const audited = () => t.db.auditEntry.count({ where: { action: "node.identity_changed", targetId: body.nodeId! } });
    const first = await audited();
    expect(first).toBe(1);
    await hello();
    expect(await audited()).toBe(first);
  });
});
