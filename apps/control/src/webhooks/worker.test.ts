import { createPrismaClient } from "@softfleet/db";
import { freePort } from "@softfleet/db/embedded";
import {
  createWebhookEndpoint,
  enqueueWebhookEvents,
  newEvent,
  redeliverWebhook,
  type WebhookEndpointInput,
  type WebhookEventType,
} from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Answer, startReceiver } from "./receiver";
import { startWebhookWorker, type WebhookWorker } from "./worker";

let t: TestDatabase;
const secrets = new Map<string, string>();
/** What each path of the receiver answers; by default 200. */
const behaviour = new Map<string, (attempt: number) => Answer>();
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const workers: WebhookWorker[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = await startReceiver(
    ({ path, attempt }) => behaviour.get(path)?.(attempt) ?? { status: 200 },
    (path) => secrets.get(path),
  );
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await receiver.close();
  await t.drop();
});

const fast = { baseMs: 300, maxDelayMs: 5_000, maxAttempts: 4 };
function worker(options: Parameters<typeof startWebhookWorker>[1] = {}, db = t.db) {
  const started = startWebhookWorker(db, { pollMs: 50, retry: fast, timeoutMs: 2_000, log: () => {}, ...options });
  workers.push(started);
  return started;
}

async function endpoint(path: string, input: Partial<WebhookEndpointInput> = {}) {
  const { endpoint, secret } = await t.db.$transaction((tx) =>
    createWebhookEndpoint(
      tx,
      {
        name: path,
        url: `${receiver.url}${path}`,
        format: "json",
        events: ["rollout.halted", "node.offline"],
        ...input,
      },
      { id: "u1", name: "admin" },
    ),
  );
  secrets.set(path, secret);
  return endpoint;
}

function enqueue(type: WebhookEventType, hostname: string) {
  const event = newEvent(type, { node: { id: `n-${hostname}`, hostname }, reason: "its heartbeats stopped" });
  return t.db.$transaction((tx) => enqueueWebhookEvents(tx, [event])).then(() => event);
}

const deliveriesOf = (endpointId: string) =>
  t.db.webhookDelivery.findMany({ where: { endpointId }, orderBy: { id: "asc" } });
const settled = (endpointId: string, count: number) =>
  until(
    `${count} deliveries of ${endpointId} to finish`,
    async () => {
      const rows = await deliveriesOf(endpointId);
      return rows.length === count && rows.every((d) => d.status !== "pending") ? rows : null;
    },
    30_000,
  );

describe("delivery", () => {
  it("retries a receiver that fails its first attempts with backoff, in order, signed, and logs it", async () => {
    const hook = await endpoint("/flaky");
    behaviour.set("/flaky", (attempt) => ({ status: attempt <= 2 ? 500 : 200 }));
    const events = [await enqueue("node.offline", "web-1"), await enqueue("node.offline", "web-2")];
    // Not subscribed: never sent.
    await enqueue("node.escalated", "web-3");
    worker();
    const rows = await settled(hook.id, 2);

    const got = receiver.received.filter((r) => r.path === "/flaky");
    // The first delivery's three attempts, then the second's (each failing twice first): never the second before the first is done.
    const [first, second] = rows.map((d) => d.id.toString());
    expect(got.map((r) => [r.deliveryId, r.status])).toEqual([
      [first, 500],
      [first, 500],
      [first, 200],
      [second, 500],
      [second, 500],
      [second, 200],
    ]);
    // Backoff: 300 ms then 600 ms (±20%).
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(240);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(480);
    for (const request of got) expect(request.signatureProblem).toBeNull();
    const body = JSON.parse(got[2]!.body);
    expect(body).toMatchObject({
      version: 1,
      id: events[0]!.id,
      type: "node.offline",
      data: { node: { hostname: "web-1" } },
    });
    expect(got[2]!.eventType).toBe("node.offline");
    expect(rows.map((d) => [d.status, d.attempts, d.responseCode, d.lastError])).toEqual([
      ["succeeded", 3, 200, null],
      ["succeeded", 3, 200, null],
    ]);
  });

  it("fails a delivery after its last attempt, moves on to the next, and redelivers the same event on demand", async () => {
    const hook = await endpoint("/down");
    let up = false;
    behaviour.set("/down", () => ({ status: up ? 204 : 503 }));
    const lost = await enqueue("node.offline", "db-1");
    await enqueue("rollout.halted", "db-2");
    worker({ retry: { ...fast, maxAttempts: 2 } });
    const rows = await settled(hook.id, 2);
    expect(rows.map((d) => [d.status, d.attempts, d.responseCode])).toEqual([
      ["failed", 2, 503],
      ["failed", 2, 503],
    ]);
    expect(rows[0]!.lastError).toBe("answered 503: receiver says no");

    up = true;
    const { delivery } = await t.db.$transaction((tx) => redeliverWebhook(tx, rows[0]!.id));
    const after = await settled(hook.id, 3);
    expect(after[2]).toMatchObject({ id: delivery.id, status: "succeeded", responseCode: 204, eventId: lost.id });
    expect(after[2]!.redeliveryOf).toBe(rows[0]!.id);
    const last = receiver.received.filter((r) => r.path === "/down").at(-1)!;
    expect(JSON.parse(last.body).id).toBe(lost.id);
    expect(last.signatureProblem).toBeNull();
  });

  it("loses no delivery when its worker stops mid-backoff: a new process delivers it", async () => {
    const hook = await endpoint("/restart");
    behaviour.set("/restart", (attempt) => ({ status: attempt === 1 ? 500 : 200 }));
    await enqueue("node.offline", "api-1");
    const first = worker({ retry: { ...fast, baseMs: 1_500 } });
    await until(
      "the first attempt",
      async () =>
        (await deliveriesOf(hook.id))[0]?.attempts === 1 && receiver.received.some((r) => r.path === "/restart"),
    );
    await first.close();
    const [waiting] = await deliveriesOf(hook.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, responseCode: 500 });
    expect(waiting!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());

    // Another process: its own connections, nothing shared with the first but the database.
    const db = createPrismaClient(t.url);
    try {
      worker({}, db);
      const [delivered] = await settled(hook.id, 1);
      expect(delivered).toMatchObject({ status: "succeeded", attempts: 2, responseCode: 200 });
      const got = receiver.received.filter((r) => r.path === "/restart");
      expect(got.map((r) => r.deliveryId)).toEqual([waiting!.id.toString(), waiting!.id.toString()]);
    } finally {
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await db.$disconnect();
    }
  });
});

describe("several control processes", () => {
  it("deliver each event once, and each endpoint's in order", async () => {
    const a = await endpoint("/shared-a");
    const b = await endpoint("/shared-b");
    for (let i = 0; i < 6; i++) await enqueue("node.offline", `shared-${i}`);
    const other = createPrismaClient(t.url);
    try {
      worker({ concurrency: 2 });
      worker({ concurrency: 2 }, other);
      for (const hook of [a, b]) {
        const rows = await settled(hook.id, 6);
        const got = receiver.received.filter((r) => r.path === (hook.id === a.id ? "/shared-a" : "/shared-b"));
        expect(got.map((r) => r.deliveryId)).toEqual(rows.map((d) => d.id.toString()));
        expect(rows.every((d) => d.status === "succeeded" && d.attempts === 1)).toBe(true);
      }
    } finally {
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await other.$disconnect();
    }
  });
});

describe("bad receivers", () => {
  it("an unreachable port, a redirect loop and a slow answer each get a clear error, and change nothing else", async () => {
    const port = await freePort();
    const unreachable = await endpoint("/unreachable", { url: `http://127.0.0.1:${port}/hook` });
    const loop = await endpoint("/loop");
    behaviour.set("/loop", () => ({ status: 302, headers: { location: "/loop" } }));
    const slow = await endpoint("/slow");
    behaviour.set("/slow", () => ({ status: 200, delayMs: 3_000 }));
    const healthy = await endpoint("/healthy");
    const endpointsBefore = await t.db.webhookEndpoint.findMany({ orderBy: { id: "asc" } });
    const auditBefore = await t.db.auditEntry.count();
    await enqueue("node.offline", "edge-1");
    worker({ retry: { ...fast, maxAttempts: 1 }, timeoutMs: 1_500, concurrency: 32 });

    const [refused] = await settled(unreachable.id, 1);
    expect(refused).toMatchObject({ status: "failed", responseCode: null });
    expect(refused!.lastError).toBe(`connection refused by 127.0.0.1:${port}: nothing listens there`);
    const [redirected] = await settled(loop.id, 1);
    expect(redirected).toMatchObject({ status: "failed", responseCode: 302 });
    expect(redirected!.lastError).toBe("redirected (302) to /loop: redirects are not followed; use the final URL");
    expect(receiver.received.filter((r) => r.path === "/loop")).toHaveLength(1);
    const [timedOut] = await settled(slow.id, 1);
    expect(timedOut).toMatchObject({ status: "failed", responseCode: null, lastError: "no answer within 1.5 s" });

    // The healthy endpoint got its event, not held up by the slow one.
    const [delivered] = await settled(healthy.id, 1);
    expect(delivered).toMatchObject({ status: "succeeded", responseCode: 200 });
    expect(delivered!.finishedAt!.getTime()).toBeLessThan(timedOut!.finishedAt!.getTime());
    expect(await t.db.webhookEndpoint.findMany({ orderBy: { id: "asc" } })).toEqual(endpointsBefore);
    expect(await t.db.auditEntry.count()).toBe(auditBefore);
  });

  it("skips disabled endpoints and those not subscribed", async () => {
    const off = await endpoint("/off");
    await t.db.webhookEndpoint.update({ where: { id: off.id }, data: { enabled: false } });
    const rollouts = await endpoint("/rollouts-only", { events: ["rollout.halted"] });
    await enqueue("node.offline", "cache-1");
    expect(await deliveriesOf(off.id)).toEqual([]);
    expect(await deliveriesOf(rollouts.id)).toEqual([]);
  });
});
