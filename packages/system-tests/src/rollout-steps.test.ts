import {
  createRollout,
  enableFleetLock,
  FrozenNodesCache,
  liveRowsCache,
  loadRollout,
  releaseSlot,
  stepRollout,
  takeSlot,
} from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Engine steps straight on the database, as an engine makes them (its frozen
 * nodes kept between steps), the agents' answers written as the gateway
 * stores them: what a step reads and writes, without processes.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const unique = () => Math.random().toString(36).slice(2, 8);

/** A rollout of `count` online nodes with version 2 staged, in batches of `batch`. */
async function rolloutOf(count: number, batch: number) {
  const group = await t.db.nodeGroup.create({ data: { name: `g-${unique()}` } });
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const node = await t.db.node.create({
      data: {
        machineId: unique().padEnd(32, "0"),
        hostname: `host-${i}-${unique()}`,
        status: "online",
        inhibitor: "held",
        bootId: `boot-${unique()}`,
        softRebootsCount: 0,
        imageVersion: "1",
        nextrootStaged: true,
        nextrootImageVersion: "2",
      },
    });
    await t.db.nodeGroupMember.create({ data: { groupId: group.id, nodeId: node.id } });
    nodes.push(node);
  }
  const user = await t.db.user.create({
    data: { username: `op-${unique()}`, displayName: "Op", passwordHash: "-", role: "operator" },
  });
  const plan = { canary: null, batch: { size: batch }, maxUnavailable: batch, settleSec: 0, targetImageVersion: "2" };
  const { rollout } = await t.db.$transaction((tx) =>
    createRollout(tx, { groupId: group.id, plan, user: { id: user.id, name: user.username } }),
  );
  return { id: rollout.id, nodes, group };
}

/**
 * Every node rebooting now comes back from a clean soft-reboot onto version 2, with its record;
 * `changed` hears of each node, as an engine hears the announcements of these writes.
 */
async function rebootingNodesComeBack(rolloutId: string, changed: (nodeId: string) => void = () => {}) {
  const rebooting = await t.db.rolloutNode.findMany({ where: { rolloutId, status: "rebooting" } });
  for (const rn of rebooting) {
    await t.db.nodeCommand.update({ where: { id: rn.commandId! }, data: { status: "accepted" } });
    const node = await t.db.node.update({
      where: { id: rn.nodeId },
      data: { softRebootsCount: 1, imageVersion: "2", nextrootStaged: false, nextrootImageVersion: null },
    });
    await t.db.rebootRecord.create({
      data: {
        nodeId: node.id,
        eventId: `record-${unique()}`,
        kind: "soft-reboot",
        escalated: false,
        beforeLost: false,
        trigger: "rollout",
        commandId: rn.commandId,
        bootIdBefore: node.bootId,
        bootIdAfter: node.bootId!,
        softRebootsCountBefore: 0,
        softRebootsCountAfter: 1,
        imageVersionBefore: "1",
        imageVersionAfter: "2",
        signalUsec: 1_000_000n,
        agentConnectedUsec: 2_500_000n,
        units: [],
      },
    });
    changed(node.id);
  }
  return rebooting.length;
}

describe("engine steps beside FleetLock clients of the same group", () => {
  it("count their slots against max unavailable, and reboot a node its client holds only once released", async () => {
    const { id, nodes, group } = await rolloutOf(4, 2);
    const lockGroup = `workers-${unique()}`;
    const { secret } = await t.db.$transaction((tx) => enableFleetLock(tx, group.id, { lockGroup, maxUnavailable: 3 }));
    // The first node's own FleetLock client (named by its hostname) takes a slot to reboot it.
    const call = { secret, request: { client_params: { id: nodes[0]!.hostname, group: lockGroup } }, sourceIp: "::1" };
    expect(await takeSlot(t.db, call)).toMatchObject({ outcome: "granted", nodeId: nodes[0]!.id });
    const step = () => t.db.$transaction((tx) => stepRollout(tx, id, new Date()));
    const rebooting = async () =>
      (await t.db.rolloutNode.findMany({ where: { rolloutId: id, status: "rebooting" } })).map((n) => n.nodeId);

    // Max unavailable 2: the held node takes one slot, and it is not the rollout's to reboot.
    await step();
    expect(await rebooting()).toEqual([nodes[1]!.id]);
    expect((await t.db.$transaction((tx) => loadRollout(tx, id)))!.snapshot.externalHolds).toEqual([nodes[0]!.id]);

    // Its client says it is back (steady-state): the rollout reboots it in its turn.
    await releaseSlot(t.db, call);
    await step();
    expect((await rebooting()).sort()).toEqual([nodes[0]!.id, nodes[1]!.id].sort());
  });
});

describe("engine steps with the rollout's frozen nodes and live rows kept between them", () => {
  it("load what a fresh read loads at every step, and a node deleted mid-rollout leaves it cleanly", async () => {
    const { id, nodes } = await rolloutOf(6, 2);
    const frozen = new FrozenNodesCache();
    const liveRows = liveRowsCache();
    const step = () => t.db.$transaction((tx) => stepRollout(tx, id, new Date(), { frozen, liveRows }));
    const sameAsFresh = async () => {
      const [kept, fresh] = await t.db.$transaction(async (tx) => [
        await loadRollout(tx, id, { frozen, liveRows }),
        await loadRollout(tx, id),
      ]);
      expect(kept).toEqual(fresh);
      return kept!;
    };

    expect((await step()).commanded).toHaveLength(2);
    expect((await sameAsFresh()).snapshot.nodes.map((n) => n.status)).toEqual([
      ...["rebooting", "rebooting"],
      ...["pending", "pending", "pending", "pending"],
    ]);
    // The rebooting nodes' rows are kept for the next step, which reads only what changed or moved.
    expect(liveRows.size).toBe(2);
    // A node of a later batch is deleted: its row leaves the rollout, and the kept ids no longer match.
    await t.db.node.delete({ where: { id: nodes[4]!.id } });
    expect((await sameAsFresh()).snapshot.nodes).toHaveLength(5);

    for (let i = 0; i < 10 && (await rebootingNodesComeBack(id, (n) => liveRows.changed(n))) > 0; i++) {
      await step();
      await sameAsFresh();
    }

    const rollout = await t.db.rollout.findUniqueOrThrow({ where: { id } });
    expect(rollout.status).toBe("completed");
    const statuses = await t.db.rolloutNode.findMany({ where: { rolloutId: id }, orderBy: { position: "asc" } });
    expect(statuses.map((n) => [n.hostname, n.status, n.active])).toEqual(
      nodes.filter((_, i) => i !== 4).map((n) => [n.hostname, "succeeded", false]),
    );
  });

  it("reads a later batch's facts only when a step starts it, and starts it with them", async () => {
    const { id, nodes } = await rolloutOf(4, 2);
    const frozen = new FrozenNodesCache();
    const step = () => t.db.$transaction((tx) => stepRollout(tx, id, new Date(), { frozen }));
    expect((await step()).commanded).toHaveLength(2);
    const during = await t.db.$transaction((tx) => loadRollout(tx, id, { frozen }));
    expect(during!.factsThrough).toBe(0);
    // Batch 2's nodes are online, but their facts were not read: the snapshot knows only their status.
    expect(during!.snapshot.nodes.map((n) => [n.status, n.facts.online])).toEqual([
      ["rebooting", true],
      ["rebooting", true],
      ["pending", false],
      ["pending", false],
    ]);
    await rebootingNodesComeBack(id);
    // One step ends batch 1 and starts batch 2: its nodes, online with version 2 staged, are commanded
    // (decided blind, they would have failed as unreachable).
    const next = await step();
    expect(next.kinds).toEqual(expect.arrayContaining(["finish-batch", "start-batch", "reboot-node"]));
    expect([...next.commanded].sort()).toEqual([nodes[2]!.id, nodes[3]!.id].sort());
    const rows = await t.db.rolloutNode.findMany({ where: { rolloutId: id }, orderBy: { position: "asc" } });
    expect(rows.map((n) => n.status)).toEqual(["succeeded", "succeeded", "rebooting", "rebooting"]);
  });

  it("reads its nodes' statuses again once another engine wrote them (a change of leader)", async () => {
    const { id } = await rolloutOf(6, 2);
    const engine = () => {
      const kept = { frozen: new FrozenNodesCache(), liveRows: liveRowsCache() };
      return { ...kept, step: () => t.db.$transaction((tx) => stepRollout(tx, id, new Date(), kept)) };
    };
    const [a, b] = [engine(), engine()];
    const keptAndFresh = () =>
      t.db.$transaction(async (tx) => [await loadRollout(tx, id, { frozen: a.frozen }), await loadRollout(tx, id)]);
    expect((await a.step()).commanded).toHaveLength(2);
    // Engine b leads meanwhile: batch 1 comes back, and b ends it and starts batch 2.
    await rebootingNodesComeBack(id, (n) => {
      a.liveRows.changed(n);
      b.liveRows.changed(n);
    });
    expect((await b.step()).commanded).toHaveLength(2);
    // Engine a leads again: what it kept of the statuses is a write behind, and the revision says so.
    const [kept, fresh] = await keptAndFresh();
    expect(kept!.revision).toBe(fresh!.revision);
    expect(kept!.snapshot).toEqual(fresh!.snapshot);
    expect(fresh!.snapshot.nodes.map((n) => n.status)).toEqual([
      ...["succeeded", "succeeded"],
      ...["rebooting", "rebooting"],
      ...["pending", "pending"],
    ]);
  });

  it("writes a batch's transitions in the order decided, each node named by its hostname", async () => {
    const { id, nodes } = await rolloutOf(4, 3);
    await t.db.$transaction((tx) => stepRollout(tx, id, new Date(), { frozen: new FrozenNodesCache() }));
    const transitions = await t.db.rolloutTransition.findMany({ where: { rolloutId: id }, orderBy: { id: "asc" } });
    expect(transitions.map((r) => [r.machine, r.subjectName, r.from, r.to, r.actorName])).toEqual([
      ["rollout", expect.stringMatching(/^g-/), "new", "running", expect.stringMatching(/^op-/)],
      ["batch", "batch 1", "pending", "running", "rollout engine"],
      ...nodes.slice(0, 3).map((n) => ["node", n.hostname, "pending", "rebooting", "rollout engine"]),
    ]);
    const commands = await t.db.nodeCommand.findMany({ where: { rolloutId: id } });
    expect(commands.map((c) => [c.nodeId, c.type, c.requireNextroot, c.payload]).sort()).toEqual(
      nodes
        .slice(0, 3)
        .map((n) => [n.id, "soft-reboot", true, null])
        .sort(),
    );
    const audit = await t.db.auditEntry.findFirstOrThrow({
      where: { targetId: id, action: "rollout.reboot_commanded" },
    });
    expect(audit.details).toMatchObject({ count: 3, requireNextroot: true });
  });
});
