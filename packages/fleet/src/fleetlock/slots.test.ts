import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeEvent } from "../ingest";
import { nodeHistory } from "../reports";
import { zincatiClientId } from "./client-node";
import { FleetLockError } from "./protocol";
import { disableFleetLock, enableFleetLock, FleetLockSettingsError, rotateFleetLockSecret } from "./settings";
import { releaseSlot, takeSlot } from "./slots";

let t: TestDatabase;
let counter = 0;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function groupWithNodes(maxUnavailable = 1, nodes = 2) {
  const n = ++counter;
  const group = await t.db.nodeGroup.create({ data: { name: `fcos ${n}` } });
  const members = [];
  for (let i = 0; i < nodes; i++) {
    const machineId = `${n.toString(16).padStart(8, "0")}${i.toString(16).padStart(24, "0")}`;
    const node = await t.db.node.create({ data: { machineId, hostname: `fcos-${n}-${i}`, status: "online" } });
    await t.db.nodeGroupMember.create({ data: { groupId: group.id, nodeId: node.id } });
    members.push(node);
  }
  const { secret } = await t.db.$transaction((tx) =>
    enableFleetLock(tx, group.id, { lockGroup: `workers-${n}`, maxUnavailable }),
  );
  const call = (id: string, overrides: { secret?: string; group?: string } = {}) => ({
    secret: overrides.secret ?? secret,
    request: { client_params: { id, group: overrides.group ?? `workers-${n}` } },
    sourceIp: "127.0.0.1",
  });
  return { group, members, secret, call };
}

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetLockError);
  return (error as FleetLockError).body;
}

describe("FleetLock slots on the database", () => {
  it("matches Zincati's id to the node on the same host and audits the take and the release", async () => {
    const { group, members, call } = await groupWithNodes();
    const clientId = zincatiClientId(members[0]!.machineId)!;
    expect(await takeSlot(t.db, call(clientId))).toMatchObject({ outcome: "granted", nodeId: members[0]!.id });
    expect(await releaseSlot(t.db, call(clientId))).toMatchObject({ outcome: "released", nodeId: members[0]!.id });
    const audit = await t.db.auditEntry.findMany({ where: { targetId: group.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actorType, a.actorName, a.action])).toEqual([
      ["system", `fleetlock:${clientId}`, "fleetlock.locked"],
      ["system", `fleetlock:${clientId}`, "fleetlock.released"],
    ]);
    expect(audit[0]!.details).toMatchObject({ nodeId: members[0]!.id, hostname: members[0]!.hostname });
  });

  it("gives exactly one of many simultaneous clients the last slot", async () => {
    const { group, call } = await groupWithNodes(2);
    await takeSlot(t.db, call("first"));
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => takeSlot(t.db, call(`racer-${i}`))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r.reason as FleetLockError).kind).toBe("failed_lock_semaphore_full");
    }
    expect(await t.db.fleetLockHold.count({ where: { groupId: group.id, releasedAt: null } })).toBe(2);
  });

  it("counts the group's nodes a softfleet rollout is rebooting against max unavailable", async () => {
    const { group, members, call } = await groupWithNodes(1);
    const rollout = await t.db.rollout.create({
      data: { groupId: group.id, groupName: group.name, status: "running", plan: {}, createdByName: "test" },
    });
    await t.db.rolloutNode.create({
      data: {
        rolloutId: rollout.id,
        nodeId: members[1]!.id,
        position: 0,
        batchIndex: 0,
        hostname: "x",
        status: "rebooting",
      },
    });
    expect(await refusalOf(takeSlot(t.db, call("zincati-a")))).toEqual({
      kind: "failed_lock_semaphore_full",
      value: expect.stringContaining("1 node(s) rebooting in a softfleet rollout"),
    });
    await t.db.rolloutNode.updateMany({
      where: { rolloutId: rollout.id },
      data: { status: "succeeded", active: false },
    });
    expect((await takeSlot(t.db, call("zincati-a"))).outcome).toBe("granted");
  });

  it("refuses a wrong secret, another lock group, and a rotated or disabled secret, changing nothing", async () => {
    const { group, call, secret } = await groupWithNodes();
    const holds = () => t.db.fleetLockHold.count({ where: { groupId: group.id } });
    expect((await refusalOf(takeSlot(t.db, call("a", { secret: "x".repeat(43) })))).kind).toBe("unauthorized");
    expect(await refusalOf(takeSlot(t.db, call("a", { group: "default" })))).toEqual({
      kind: "unknown_group",
      value: expect.stringMatching(/^unknown group "default": this base URL serves lock group "workers-\d+"/),
    });
    expect(await holds()).toBe(0);
    await takeSlot(t.db, call("a"));
    const rotated = await t.db.$transaction((tx) => rotateFleetLockSecret(tx, group.id));
    expect((await refusalOf(releaseSlot(t.db, call("a", { secret })))).kind).toBe("unauthorized");
    await t.db.$transaction((tx) => disableFleetLock(tx, group.id));
    expect((await refusalOf(takeSlot(t.db, call("b", { secret: rotated.secret })))).kind).toBe("unauthorized");
    // Turning it off gave back the slot still held; the history stays.
    expect(await t.db.fleetLockHold.findMany({ where: { groupId: group.id } })).toEqual([
      expect.objectContaining({ clientId: "a", releasedBy: "disabled", releasedAt: expect.any(Date) }),
    ]);
  });

  it("keeps lock group names unique across node groups", async () => {
    const a = await groupWithNodes();
    const b = await groupWithNodes();
    const taken = await t.db
      .$transaction((tx) => enableFleetLock(tx, b.group.id, { lockGroup: `workers-${counter - 1}`, maxUnavailable: 1 }))
      .catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(FleetLockSettingsError);
    expect((taken as FleetLockSettingsError).message).toContain(`node group "${a.group.name}"`);
  });
});

describe("a reboot while its node holds a FleetLock slot", () => {
  const record = (n: number) => ({
    type: "reboot-record" as const,
    kind: "full-reboot" as const,
    requested: "reboot" as const,
    escalated: false,
    beforeLost: false,
    bootIdBefore: `0b5c1e2a-1111-4222-8333-9444555566${n}0`,
    bootIdAfter: `0b5c1e2a-1111-4222-8333-9444555566${n}1`,
    softRebootsCountBefore: 0,
    softRebootsCountAfter: 0,
    imageBefore: { id: "fedora", versionId: "41", imageId: "fedora-coreos", imageVersion: "41.1" },
    imageAfter: { id: "fedora", versionId: "41", imageId: "fedora-coreos", imageVersion: "41.2" },
    phases: {
      signalUsec: "1000000",
      shutdownStartUsec: "1100000",
      userspaceUsec: "9000000",
      finishUsec: "12000000",
      agentConnectedUsec: "12500000",
    },
    units: [],
    signalEventId: null,
  });

  it("counts in the node's report as external, even with a softfleet command accepted just before", async () => {
    const { members, call } = await groupWithNodes();
    const node = members[0]!;
    // A person's soft-reboot the agent accepted: a reboot now would be theirs ("manual")...
    await t.db.nodeCommand.create({
      data: { nodeId: node.id, type: "soft-reboot", status: "accepted", answeredAt: new Date() },
    });
    await t.db.$transaction((tx) => storeEvent(tx, node.id, "evt-before-hold", record(1)));
    // ...but one while Zincati holds the node's slot is Zincati's, and so is one that arrives just after it released.
    await t.db.nodeCommand.create({
      data: { nodeId: node.id, type: "soft-reboot", status: "accepted", answeredAt: new Date() },
    });
    await takeSlot(t.db, call(zincatiClientId(node.machineId)!));
    await t.db.$transaction((tx) => storeEvent(tx, node.id, "evt-during-hold", record(2)));
    await releaseSlot(t.db, call(zincatiClientId(node.machineId)!));
    await t.db.$transaction((tx) => storeEvent(tx, node.id, "evt-after-release", record(3)));
    const history = await nodeHistory(t.db, node.id);
    const byEvent = Object.fromEntries(
      (await t.db.rebootRecord.findMany({ where: { nodeId: node.id } })).map((r) => [r.eventId, r.id]),
    );
    const triggerOf = (eventId: string) => history!.reboots.find((r) => r.recordId === byEvent[eventId])?.trigger;
    expect(triggerOf("evt-before-hold")).toBe("manual");
    expect(triggerOf("evt-during-hold")).toBe("external");
    expect(triggerOf("evt-after-release")).toBe("external");
    expect(history!.reboots.find((r) => r.recordId === byEvent["evt-during-hold"])?.commandId).toBeNull();
  });
});
