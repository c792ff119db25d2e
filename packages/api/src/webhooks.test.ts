import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let cookie: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  cookie = (await signedInUser(t.db, "admin")).cookie;
});
afterAll(() => t.drop());

const valid = {
  name: "ops channel",
  url: "https://hooks.example.com/softfleet",
  format: "slack",
  events: ["rollout.halted"],
};
type Endpoint = { id: string; name: string; events: string[]; enabled: boolean; pending: number };
const list = async () => (await api.call("webhooks.list", undefined, { cookie })).data as { endpoints: Endpoint[] };

describe("webhooks", () => {
  it("creates an endpoint, shows its secret once and audits it", async () => {
    const created = await api.call("webhooks.create", valid, { cookie });
    expect(created.error).toBeUndefined();
    const { endpoint, secret } = created.data as { endpoint: Endpoint; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await list();
    expect(listed.endpoints.find((e) => e.id === endpoint.id)).toMatchObject({ name: "ops channel", pending: 0 });
    expect(JSON.stringify(listed)).not.toContain(secret);
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "webhook.created", targetId: endpoint.id },
    });
    expect(JSON.stringify(audit.details)).not.toContain(secret);
  });

  it("rotates an endpoint's signing secret: the new one shown once, the old one gone, audited", async () => {
    const created = (await api.call("webhooks.create", { ...valid, name: "rotated" }, { cookie })).data as {
      endpoint: Endpoint;
      secret: string;
    };
    const rotated = await api.call("webhooks.rotateSecret", { endpointId: created.endpoint.id }, { cookie });
    expect(rotated.error).toBeUndefined();
    const { secret } = rotated.data as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(created.secret);
    const row = await t.db.webhookEndpoint.findUniqueOrThrow({ where: { id: created.endpoint.id } });
    expect(row.secret).toBe(secret);
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "webhook.secret_rotated", targetId: created.endpoint.id },
    });
    expect(JSON.stringify(audit.details ?? null)).not.toContain(secret);
    const unknown = await api.call("webhooks.rotateSecret", { endpointId: "no-such-endpoint" }, { cookie });
    expect(unknown.status).toBe(404);
  });

  it.each([
    ["url", { url: "gopher://example.com" }, "must start with http:// or https://"],
    ["events", { events: [] }, "choose at least one event"],
    ["name", { name: "" }, "must not be empty"],
  ])("refuses a bad %s with a field error and changes nothing", async (field, change, message) => {
    const before = await t.db.webhookEndpoint.count();
    const audits = await t.db.auditEntry.count();
    const result = await api.call("webhooks.create", { ...valid, ...change }, { cookie });
    expect(result.status).toBe(400);
    expect(result.error?.data.fieldErrors?.[field]?.join()).toContain(message);
    expect(await t.db.webhookEndpoint.count()).toBe(before);
    expect(await t.db.auditEntry.count()).toBe(audits);
  });

  it("bounds the number of endpoints", async () => {
    const existing = await t.db.webhookEndpoint.count();
    for (let i = existing; i < 20; i++) {
      expect((await api.call("webhooks.create", { ...valid, name: `hook ${i}` }, { cookie })).error).toBeUndefined();
    }
    const refused = await api.call("webhooks.create", { ...valid, name: "one too many" }, { cookie });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/already 20 webhook endpoints/);
    expect(await t.db.webhookEndpoint.count()).toBe(20);
    await t.db.webhookEndpoint.deleteMany({ where: { name: { startsWith: "hook " } } });
  });

  it("sends a test, lists it in the log, refuses to redeliver it while pending, and deletes the endpoint", async () => {
    const { endpoint } = (await api.call("webhooks.create", { ...valid, name: "tested" }, { cookie })).data as {
      endpoint: Endpoint;
    };
    expect((await api.call("webhooks.sendTest", { endpointId: endpoint.id }, { cookie })).error).toBeUndefined();
    const log = (await api.call("webhooks.deliveries", { endpointId: endpoint.id }, { cookie })).data as {
      total: number;
      deliveries: Array<{ id: string; eventType: string; status: string; summary: string }>;
    };
    expect(log.total).toBe(1);
    expect(log.deliveries[0]).toMatchObject({ eventType: "webhook.test", status: "pending" });
    expect(log.deliveries[0]!.summary).toMatch(/^Test delivery to “tested”, sent by admin-/);
    const early = await api.call("webhooks.redeliver", { deliveryId: log.deliveries[0]!.id }, { cookie });
    expect(early.status).toBe(409);
    expect(early.error?.message).toMatch(/still being delivered/);

    const disabled = await api.call("webhooks.update", { endpointId: endpoint.id, enabled: false }, { cookie });
    expect((disabled.data as Endpoint).enabled).toBe(false);
    const refused = await api.call("webhooks.sendTest", { endpointId: endpoint.id }, { cookie });
    expect(refused.error?.message).toMatch(/is disabled: enable it first/);
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { action: "webhook.updated", targetId: endpoint.id },
    });
    expect(audit.details).toEqual({ enabled: { before: true, after: false } });

    expect((await api.call("webhooks.delete", { endpointId: endpoint.id }, { cookie })).error).toBeUndefined();
    expect(await t.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0);
    const gone = await api.call("webhooks.delete", { endpointId: endpoint.id }, { cookie });
    expect(gone.status).toBe(404);
  });
});
