import type { RebootRecordEvent } from "@softfleet/protocol";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markOffline, storeEvent, sweepStaleNodes } from "../ingest";
import { actOnRollout, createRollout, stepRollout } from "../rollouts";
import { createWebhookEndpoint } from "./endpoints";

/** Events reach the outbox from the changes that cause them, in their transaction, and nothing else does. */
let t: TestDatabase;
let all: string;
let rolloutsOnly: string;
const user = { id: "u-ops", name: "ops" };

beforeAll(async () => {
  t = await createTestDatabase();
  const endpoint = (name: string, events: string[]) =>
    t.db
      .$transaction((tx) =>
        createWebhookEndpoint(tx, { name, url: "http://127.0.0.1:9/", format: "json", events: events as never }, user),
      )
      .then((r) => r.endpoint.id);
  all = await endpoint("all", [
    "rollout.started",
    "rollout.paused",
    "rollout.halted",
    "rollout.finished",
    "node.offline",
    "node.escalated",
    "node.pinned_root",
  ]);
  rolloutsOnly = await endpoint("rollouts", ["rollout.started"]);
});
afterAll(() => t.drop());

const unique = () => Math.random().toString(36).slice(2, 8);
const typesOf = async (endpointId: string) =>
  (await t.db.webhookDelivery.findMany({ where: { endpointId }, orderBy: { id: "asc" } })).map((d) => d.eventType);

async function onlineNode(lastSeenAt = new Date()) {
  return t.db.node.create({
    data: { machineId: unique().padEnd(32, "0"), hostname: `n-${unique()}`, status: "online", lastSeenAt },
  });
}

describe("webhook events", () => {
  it("a rollout's start, halt and end are enqueued with them; its nodes' transitions are not events", async () => {
    await t.db.webhookDelivery.deleteMany();
    const nodes = [await onlineNode(), await onlineNode()];
    const group = await t.db.nodeGroup.create({
      data: { name: `g-${unique()}`, members: { create: nodes.map((n) => ({ nodeId: n.id })) } },
    });
    const plan = { canary: null, batch: { size: 1 } };
    // A transaction that fails after the change leaves no event behind.
    await expect(
      t.db.$transaction(async (tx) => {
        await createRollout(tx, { groupId: group.id, plan, user });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(await typesOf(all)).toEqual([]);

    const { rollout } = await t.db.$transaction((tx) => createRollout(tx, { groupId: group.id, plan, user }));
    // The engine's first step starts the first batch, whose node (no image staged) fails: the rollout halts.
    await t.db.$transaction((tx) => stepRollout(tx, rollout.id));
    const stepped = await t.db.rolloutTransition.findMany({ where: { rolloutId: rollout.id } });
    expect(stepped.filter((s) => s.machine !== "rollout").length).toBeGreaterThan(0);
    expect(await typesOf(all)).toEqual(["rollout.started", "rollout.halted"]);
    const halted = await t.db.webhookDelivery.findFirstOrThrow({
      where: { endpointId: all, eventType: "rollout.halted" },
    });
    expect(halted.payload).toMatchObject({
      data: {
        rollout: { id: rollout.id, group: group.name, status: "halted", previousStatus: "running" },
        actor: { type: "engine", name: "rollout engine" },
      },
    });
    await t.db.$transaction((tx) => actOnRollout(tx, { rolloutId: rollout.id, action: "abort", user }));
    expect(await typesOf(all)).toEqual(["rollout.started", "rollout.halted", "rollout.finished"]);
    expect(await typesOf(rolloutsOnly)).toEqual(["rollout.started"]);
    const aborted = await t.db.webhookDelivery.findFirstOrThrow({
      where: { endpointId: all, eventType: "rollout.finished" },
    });
    expect(aborted.payload).toMatchObject({
      data: { rollout: { status: "aborted" }, actor: { type: "user", name: "ops" } },
    });
  });

  it("a node goes offline: when its heartbeats stop, or its connection ends; not when control shuts down", async () => {
    await t.db.webhookDelivery.deleteMany();
    const stale = await onlineNode(new Date(Date.now() - 60_000));
    const swept = await t.db.$transaction((tx) =>
      sweepStaleNodes(tx, { onlineSince: new Date(Date.now() - 30_000), rebootingSince: new Date(0) }),
    );
    expect(swept).toBe(1);
    const [offline] = await t.db.webhookDelivery.findMany({ where: { endpointId: all } });
    expect(offline?.payload).toMatchObject({
      type: "node.offline",
      data: { node: { id: stale.id, hostname: stale.hostname }, reason: "its heartbeats stopped" },
    });

    const closedByControl = await onlineNode();
    await t.db.$transaction((tx) => markOffline(tx, closedByControl.id, new Date(), { webhook: false }));
    const dropped = await onlineNode();
    await t.db.$transaction((tx) => markOffline(tx, dropped.id, new Date()));
    expect((await t.db.webhookDelivery.findMany({ where: { endpointId: all } })).map((d) => d.payload)).toMatchObject([
      { data: { node: { id: stale.id } } },
      { data: { node: { id: dropped.id }, reason: "its connection to control ended" } },
    ]);
  });

  it("a reboot record that escalated, or found an old root pinned, is an event; an ordinary one is not", async () => {
    await t.db.webhookDelivery.deleteMany();
    const node = await onlineNode();
    const record = (escalated: boolean): RebootRecordEvent =>
      ({
        type: "reboot-record",
        kind: escalated ? "full-reboot" : "soft-reboot",
        requested: "soft-reboot",
        escalated,
        beforeLost: escalated,
        bootIdBefore: "0b5c1e2a-1111-4222-8333-944455556666",
        bootIdAfter: "0b5c1e2a-1111-4222-8333-944455556667",
        softRebootsCountBefore: 0,
        softRebootsCountAfter: 0,
        imageBefore: { id: "debian", versionId: "13", imageId: "softfleet-lab", imageVersion: "1" },
        imageAfter: { id: "debian", versionId: "13", imageId: "softfleet-lab", imageVersion: "2" },
        phases: {
          signalUsec: null,
          shutdownStartUsec: null,
          userspaceUsec: null,
          finishUsec: "2000000",
          agentConnectedUsec: "3000000",
        },
        units: [],
        signalEventId: null,
      }) as unknown as RebootRecordEvent;
    await t.db.$transaction((tx) => storeEvent(tx, node.id, `evt-${unique()}`, record(false)));
    await t.db.$transaction((tx) => storeEvent(tx, node.id, `evt-${unique()}`, record(true)));
    expect(await typesOf(all)).toEqual(["node.escalated"]);
    const pinnedRoot = {
      devices: ["0:42"],
      pssKb: 8192,
      processes: [{ pid: 9, comm: "nginx", unit: "nginx.service", refs: ["exe"], files: [], pssKb: 8192 }],
      scannedProcesses: 40,
      scanMs: 5,
    };
    await t.db.$transaction((tx) =>
      storeEvent(tx, node.id, `evt-${unique()}`, { ...record(false), pinnedRoot } as RebootRecordEvent),
    );
    expect(await typesOf(all)).toEqual(["node.escalated", "node.pinned_root"]);
    const pinned = await t.db.webhookDelivery.findFirstOrThrow({ where: { eventType: "node.pinned_root" } });
    expect(pinned.payload).toMatchObject({
      data: { node: { id: node.id }, pinnedRoot: { pssKb: 8192, processCount: 1, processes: [{ comm: "nginx" }] } },
    });
  });
});
