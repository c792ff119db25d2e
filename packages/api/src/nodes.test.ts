import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let operator: string;
let admin: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  operator = (await signedInUser(t.db, "operator")).cookie;
  admin = (await signedInUser(t.db, "admin")).cookie;
});
afterAll(() => t.drop());

let n = 0;
const node = (data: { status?: "online" | "offline"; nextrootStaged?: boolean } = {}) =>
  t.db.node.create({ data: { machineId: String(++n).padStart(32, "a"), hostname: `host-${n}`, ...data } });

describe("soft-reboot requests", () => {
  it("queue a command for an online node, refusing a second one while it is on its way", async () => {
    const { id } = await node({ status: "online" });
    const first = await api.call("nodes.softReboot", { nodeId: id, requireNextroot: false }, { cookie: operator });
    expect(first.error).toBeUndefined();
    expect(await t.db.nodeCommand.findMany({ where: { nodeId: id } })).toMatchObject([
      { status: "pending", type: "soft-reboot" },
    ]);
    const second = await api.call("nodes.softReboot", { nodeId: id, requireNextroot: false }, { cookie: operator });
    expect(second.error?.message).toBe(`host-${n} already has a soft-reboot on its way`);
  });

  it("are refused for an offline node, or when a staged image is required and none is", async () => {
    const offline = await node({ status: "offline" });
    const result = await api.call(
      "nodes.softReboot",
      { nodeId: offline.id, requireNextroot: false },
      { cookie: operator },
    );
    expect(result.error?.message).toBe(`${offline.hostname} is offline: its agent must be connected`);
    const unstaged = await node({ status: "online", nextrootStaged: false });
    const refused = await api.call(
      "nodes.softReboot",
      { nodeId: unstaged.id, requireNextroot: true },
      { cookie: operator },
    );
    expect(refused.error?.message).toBe(`${unstaged.hostname} has no new image staged at /run/nextroot`);
    expect(await t.db.nodeCommand.count({ where: { nodeId: { in: [offline.id, unstaged.id] } } })).toBe(0);
  });
});

describe("node records", () => {
  it("present phases in ms computed from the exact µs, and never leak the credential hash", async () => {
    const { id } = await node({ status: "online" });
    await t.db.node.update({ where: { id }, data: { credentialHash: "f".repeat(64) } });
    await t.db.rebootRecord.create({
      data: {
        nodeId: id,
        eventId: `rec-${id}`,
        kind: "soft-reboot",
        requested: "soft-reboot",
        escalated: false,
        beforeLost: false,
        trigger: "manual",
        bootIdAfter: "b",
        signalUsec: 10_000_000n,
        shutdownStartUsec: 10_004_321n,
        userspaceUsec: 10_744_321n,
        finishUsec: 11_664_321n,
        agentConnectedUsec: 11_800_000n,
        units: [],
      },
    });
    const records = (await api.call("nodes.rebootRecords", { nodeId: id }, { cookie: operator })).data as Array<{
      phases: Record<string, number | null>;
      timestamps: Record<string, string>;
    }>;
    expect(records[0]!.phases).toEqual({
      signalToShutdownMs: 4.321,
      shutdownMs: 740,
      bootMs: 920,
      reconnectMs: 135.679,
      totalMs: 1800,
    });
    expect(records[0]!.timestamps.finishUsec).toBe("11664321");
    // An older reboot (total 5000 ms): the list shows the node's last one.
    await t.db.rebootRecord.create({
      data: {
        nodeId: id,
        eventId: `rec-old-${id}`,
        kind: "soft-reboot",
        requested: "soft-reboot",
        escalated: false,
        beforeLost: false,
        trigger: "manual",
        bootIdAfter: "b",
        signalUsec: 1_000_000n,
        agentConnectedUsec: 6_000_000n,
        units: [],
        recordedAt: new Date(Date.now() - 3_600_000),
      },
    });
    const { hostname } = await t.db.node.findUniqueOrThrow({ where: { id } });
    const listed = (await api.call("nodes.page", { q: hostname }, { cookie: operator })).data as {
      rows: Array<Record<string, unknown>>;
    };
    const row = listed.rows.find((r) => r.id === id)!;
    expect(row).not.toHaveProperty("credentialHash");
    expect((row.lastReboot as { phases: { totalMs: number } }).phases.totalMs).toBe(1800);
  });

  it("revoking a node ends its credential", async () => {
    const { id } = await node({ status: "online" });
    await t.db.node.update({ where: { id }, data: { credentialHash: "e".repeat(64) } });
    expect((await api.call("nodes.revoke", { nodeId: id }, { cookie: admin })).error).toBeUndefined();
    expect(await t.db.node.findUniqueOrThrow({ where: { id } })).toMatchObject({
      credentialHash: null,
      status: "offline",
    });
  });
});
