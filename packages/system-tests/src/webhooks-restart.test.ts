import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebhookEndpoint, enqueueWebhookEvents, nodeOfflineEvent, signatureProblem } from "@softfleet/fleet";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * The webhook outbox across a control process killed mid-backoff (kill -9):
 * the next process delivers what the first left, once more, and signed.
 */
let t: TestDatabase;
const controls: TestControl[] = [];
const received: Array<{ delivery: string; problem: string | null }> = [];
let secret = "";
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    received.push({
      delivery: String(req.headers["softfleet-delivery"]),
      problem: signatureProblem(req.headers["softfleet-signature"] as string, secret, body),
    });
    // The first attempt fails: the delivery waits its backoff (about 10 s) in the outbox.
    res.writeHead(received.length === 1 ? 500 : 200).end();
  });
});

beforeAll(async () => {
  t = await createTestDatabase();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const control of controls) await control.stop().catch(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.drop();
});

it("a delivery waiting for its retry survives its control process being killed", async () => {
  const { port } = server.address() as AddressInfo;
  const created = await t.db.$transaction((tx) =>
    createWebhookEndpoint(
      tx,
      { name: "ops", url: `http://127.0.0.1:${port}/hook`, format: "json", events: ["node.offline"] },
      { id: "u1", name: "admin" },
    ),
  );
  secret = created.secret;
  const first = await startTestControl(t);
  controls.push(first);
  await t.db.$transaction((tx) =>
    enqueueWebhookEvents(tx, [nodeOfflineEvent({ id: "n1", hostname: "web-1" }, "its heartbeats stopped")]),
  );
  const waiting = await until(
    "the first attempt to fail",
    async () => {
      const [row] = await t.db.webhookDelivery.findMany();
      return row?.attempts === 1 && row.responseCode === 500 ? row : null;
    },
    30_000,
  );
  await first.kill();
  expect(waiting.status).toBe("pending");

  controls.push(await startTestControl(t));
  const delivered = await until(
    "the delivery after the restart",
    async () => {
      const [row] = await t.db.webhookDelivery.findMany();
      return row?.status === "succeeded" ? row : null;
    },
    60_000,
  );
  expect(delivered).toMatchObject({ id: waiting.id, attempts: 2, responseCode: 200, lastError: null });
  expect(received).toEqual([
    { delivery: waiting.id.toString(), problem: null },
    { delivery: waiting.id.toString(), problem: null },
  ]);
}, 120_000);
