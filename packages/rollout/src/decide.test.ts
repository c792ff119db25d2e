import { describe, expect, it } from "vitest";
import type { Action } from "./actions";
import { applyActions, applyUserActionToSnapshot } from "./apply";
import { decide } from "./decide";
import { type RolloutPlanInput, rolloutPlan } from "./plan";
import type { NodeFacts, RolloutNode, RolloutSnapshot } from "./snapshot";
import { initialSnapshot } from "./start";

const T0 = new Date("2026-03-02T10:00:00Z"); // a Monday
const sec = (s: number) => new Date(T0.getTime() + s * 1000);
const USER = { kind: "user", userId: "u1" } as const;

const facts = (i: number): NodeFacts => ({
  online: true,
  inhibitor: "held",
  imageVersion: "1",
  nextroot: { staged: false, imageVersion: null },
  bootId: `boot-${i}`,
  softRebootsCount: 0,
  units: [],
});

function rollout(count: number, plan: RolloutPlanInput): RolloutSnapshot {
  return initialSnapshot({
    id: "r1",
    plan: rolloutPlan.parse(plan),
    nodes: Array.from({ length: count }, (_, i) => ({ nodeId: `n${i + 1}`, facts: facts(i + 1) })),
  });
}

/** decide() and apply, like the engine; the actions in short ("reboot-node n1"). */
function step(s: RolloutSnapshot, now: Date) {
  const { actions, wakeAt } = decide(s, now);
  const next = applyActions(s, actions, now).snapshot;
  // Idempotent: nothing more to do at the same instant.
  expect(decide(next, now).actions).toEqual([]);
  return { s: next, did: actions.map(short), actions, wakeAt };
}

function short(a: Action): string {
  if ("nodeId" in a) return `${a.type} ${a.nodeId}`;
  if ("batchIndex" in a) return `${a.type} ${a.batchIndex}`;
  return a.type;
}

function update(s: RolloutSnapshot, nodeId: string, change: (n: RolloutNode) => Partial<RolloutNode>): RolloutSnapshot {
  return { ...s, nodes: s.nodes.map((n) => (n.nodeId === nodeId ? { ...n, ...change(n) } : n)) };
}

/** The agent came back from a clean soft-reboot. */
function softRebooted(s: RolloutSnapshot, nodeId: string): RolloutSnapshot {
  return update(s, nodeId, (n) => ({
    commandOutcome: "accepted",
    facts: { ...n.facts, softRebootsCount: (n.facts.softRebootsCount ?? 0) + 1 },
    record: {
      kind: "soft-reboot",
      escalated: false,
      bootIdAfter: n.facts.bootId!,
      softRebootsCountAfter: (n.facts.softRebootsCount ?? 0) + 1,
      imageVersionAfter: "1",
      downtimeMs: 1500,
      units: [],
      survivorsRestarted: [],
      pinnedRoot: null,
    },
  }));
}

const basic = { canary: { count: 1 }, batch: { size: 2 }, maxUnavailable: 1, settleSec: 30 };

describe("decide: staging the plan's image", () => {
  const image = { url: "/images/softfleet-lab-2.tar", sha256: "a".repeat(64) };
  const plan = {
    canary: { count: 1 },
    batch: { size: 2 },
    maxUnavailable: 1,
    settleSec: 30,
    targetImageVersion: "2",
    image,
    staging: { concurrency: 2, timeoutSec: 600 },
    failureThreshold: { count: 5 },
  };
  /** The agent staged it: its result, and its state showing the image at /run/nextroot. */
  const staged = (s: RolloutSnapshot, nodeId: string) =>
    update(s, nodeId, (n) => ({
      commandOutcome: "accepted",
      stage: {
        startedAt: n.stage?.startedAt ?? null,
        result: { outcome: "staged", code: null, reason: null, bytes: 400e6, seconds: 8.5 },
      },
      facts: { ...n.facts, nextroot: { staged: true, imageVersion: "2" } },
    }));

  it("stages ahead (the canary and the next batch's first node), reboots a node once staged, and stages the rest as slots free", () => {
    let r = step(rollout(5, plan), T0);
    expect(r.did).toEqual(["start-batch 0", "stage-node n1", "stage-node n2"]);
    expect(r.wakeAt).toEqual(sec(600)); // the staging timeout
    r = step(staged(r.s, "n1"), sec(10));
    expect(r.did).toEqual(["node-staged n1", "reboot-node n1", "stage-node n3"]);
    expect(r.actions[0]).toMatchObject({ reason: "IMAGE_VERSION 2 staged at /run/nextroot (400 MB, 8.5 s)" });
    // The canary is back on the new image; while it settles the second batch's nodes finish staging.
    r = step(
      update(softRebooted(r.s, "n1"), "n1", (n) => ({ record: { ...n.record!, imageVersionAfter: "2" } })),
      sec(20),
    );
    expect(r.did).toEqual(["node-succeeded n1", "finish-batch 0"]);
    r = step(staged(staged(r.s, "n2"), "n3"), sec(25));
    // n4's batch is two ahead: it stages once the batch before it starts.
    expect(r.did).toEqual(["node-staged n2", "node-staged n3"]);
    r = step(r.s, sec(50));
    expect(r.did).toEqual(["batch-settled 0", "start-batch 1", "reboot-node n2", "stage-node n4", "stage-node n5"]);
  });

  it("fails a node whose staging failed with the stager's reason, and never reboots it", () => {
    let r = step(rollout(2, { ...plan, canary: null }), T0);
    r = step(
      update(r.s, "n1", (n) => ({
        commandOutcome: "accepted",
        stage: {
          startedAt: n.stage!.startedAt,
          result: { outcome: "failed", code: "digest-mismatch", reason: "sha256 differs", bytes: null, seconds: 3 },
        },
      })),
      sec(5),
    );
    expect(r.did).toEqual(["node-failed n1"]);
    expect(r.actions[0]).toMatchObject({ reason: "staging failed (digest-mismatch): sha256 differs" });
    expect(r.s.nodes[0]?.status).toBe("failed");
  });

  it("fails a node staged with the wrong image (its os-release), and one whose staging takes too long", () => {
    let r = step(rollout(2, { ...plan, canary: null }), T0);
    r = step(
      update(staged(r.s, "n1"), "n1", (n) => ({
        facts: { ...n.facts, nextroot: { staged: true, imageVersion: "9" } },
      })),
      sec(5),
    );
    expect(r.did).toEqual([]);
    r = step(r.s, sec(600));
    expect(r.did.slice(0, 2)).toEqual(["node-failed n1", "node-failed n2"]);
    expect(r.actions[0]).toMatchObject({
      reason: "staged, but the agent does not report IMAGE_VERSION 2 at /run/nextroot (it reports 9)",
    });
    expect(r.actions[1]).toMatchObject({ reason: "staging did not finish within 600 s" });
  });
});

describe("decide: automatic rollback", () => {
  const plan = {
    canary: null,
    batch: { size: 2 },
    maxUnavailable: 1,
    settleSec: 0,
    targetImageVersion: "2",
    autoRollback: true,
    gate: { requiredUnits: ["app.service"] },
    failureThreshold: { count: 5 },
  };
  /** Back on version 2 from a clean soft-reboot, but app.service did not come back. */
  const backWithoutApp = (s: RolloutSnapshot, nodeId: string) =>
    update(softRebooted(s, nodeId), nodeId, (n) => ({ record: { ...n.record!, imageVersionAfter: "2" } }));

  it("rolls a node that failed its gate back to the image it ran before, halts, and ends it rolled back", () => {
    let r = step(
      update(rollout(2, plan), "n1", (n) => ({ facts: { ...n.facts, nextroot: { staged: true, imageVersion: "2" } } })),
      T0,
    );
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1"]);
    r = step(backWithoutApp(r.s, "n1"), sec(10));
    expect(r.did).toEqual(["rollback-node n1", "halt"]);
    expect(r.actions[0]).toMatchObject({
      version: "1",
      reason: "unit app.service is missing, must be active: rolling back to IMAGE_VERSION 1, the image it ran before",
    });
    expect(r.s.rollout.status).toBe("halted");
    // The rollback's own soft-reboot, back on version 1.
    r = step(
      update(softRebooted(r.s, "n1"), "n1", (n) => ({ record: { ...n.record!, imageVersionAfter: "1" } })),
      sec(20),
    );
    expect(r.did).toEqual(["node-rolled-back n1"]);
    expect(r.s.nodes[0]?.status).toBe("rolled-back");
  });

  it("fails the node when its agent cannot roll back (no image kept)", () => {
    let r = step(
      update(rollout(2, plan), "n1", (n) => ({ facts: { ...n.facts, nextroot: { staged: true, imageVersion: "2" } } })),
      T0,
    );
    r = step(backWithoutApp(r.s, "n1"), sec(10));
    r = step(
      update(r.s, "n1", () => ({ commandOutcome: "refused", commandReason: "no image of IMAGE_VERSION 1 is kept" })),
      sec(11),
    );
    expect(r.did).toEqual(["node-failed n1"]);
    expect(r.actions[0]).toMatchObject({ reason: "rollback failed: no image of IMAGE_VERSION 1 is kept" });
  });
});

describe("decide: a rollback rollout", () => {
  /** Three nodes on image 2 that ran 1 before, in a rollback of rollout r0 (canary 1, batches of 2). */
  function rollback(): RolloutSnapshot {
    const s = rollout(3, { canary: { count: 1 }, batch: { size: 2 }, maxUnavailable: 2, settleSec: 0 });
    return {
      ...s,
      rollout: { ...s.rollout, rollbackOf: "r0" },
      nodes: s.nodes.map((n) => ({ ...n, rollbackVersion: "1", facts: { ...n.facts, imageVersion: "2" } })),
    };
  }
  const backOn = (s: RolloutSnapshot, nodeId: string, version: string) =>
    update(softRebooted(s, nodeId), nodeId, (n) => ({ record: { ...n.record!, imageVersionAfter: version } }));

  it("rolls each node back to its previous image in the plan's batches, with nothing staged, and completes", () => {
    let r = step(rollback(), T0);
    // No target staged is needed: the agent stages the image it kept.
    expect(r.did).toEqual(["start-batch 0", "rollback-node n1"]);
    expect(r.actions[1]).toMatchObject({
      version: "1",
      reason: "rolling back to IMAGE_VERSION 1, the image it ran before",
    });
    r = step(backOn(r.s, "n1", "1"), sec(5));
    expect(r.did).toEqual([
      "node-rolled-back n1",
      "finish-batch 0",
      "batch-settled 0",
      "start-batch 1",
      "rollback-node n2",
      "rollback-node n3",
    ]);
    r = step(backOn(backOn(r.s, "n2", "1"), "n3", "1"), sec(10));
    expect(r.did).toEqual([
      "node-rolled-back n2",
      "node-rolled-back n3",
      "finish-batch 1",
      "batch-settled 1",
      "complete",
    ]);
    expect(r.actions.at(-1)).toMatchObject({ reason: "all 2 batches are done: 3 rolled back, 0 failed, 0 skipped" });
  });

  it("fails a node that came back on another image, and halts past the threshold", () => {
    let r = step(rollback(), T0);
    r = step(backOn(r.s, "n1", "2"), sec(5));
    expect(r.did.slice(0, 2)).toEqual(["node-failed n1", "halt"]);
    expect(r.did).not.toContain("rollback-node n2");
    expect(r.actions[0]).toMatchObject({ reason: "rollback came back on IMAGE_VERSION 2, not 1" });
    expect(r.s.rollout.status).toBe("halted");
  });

  it("does not count its rolled-back nodes as failures", () => {
    let r = step(rollback(), T0);
    r = step(backOn(r.s, "n1", "1"), sec(5));
    // The threshold is 0 failures: had the rolled-back canary counted, it would have halted here.
    expect(r.s.rollout.status).toBe("running");
    expect(r.did).toContain("rollback-node n2");
  });
});

const backup = { who: "backup-job", why: "nightly backup running", pid: 4242 };

describe("decide: block inhibitors", () => {
  const plan = { canary: null, batch: { size: 3 }, maxUnavailable: 3, settleSec: 0, blockedTimeoutSec: 60 };
  const held = (s: RolloutSnapshot, nodeId: string, blockers = [backup]) =>
    update(s, nodeId, (n) => ({ facts: { ...n.facts, blockers } }));

  it("keeps a held node waiting (its peers go on), then reboots it once the lock is gone", () => {
    let r = step(held(rollout(3, plan), "n2"), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1", "node-blocked n2", "reboot-node n3"]);
    const n2 = r.s.nodes[1]!;
    expect(n2.status).toBe("pending");
    expect(n2.blockedSince).toEqual(T0);
    expect(n2.blockedBy).toBe("backup-job (pid 4242): nightly backup running");
    expect(r.wakeAt).toEqual(sec(60)); // n2's inhibitor timeout comes before the return timeouts
    // Still held 30 s later: nothing new.
    r = step(r.s, sec(30));
    expect(r.did).toEqual([]);
    // The backup ends: the node reboots, and is no longer marked held.
    r = step(held(r.s, "n2", []), sec(40));
    expect(r.did).toEqual(["reboot-node n2"]);
    expect(r.s.nodes[1]?.blockedSince).toBeNull();
  });

  it("fails a node held past the plan's timeout, naming who holds it; 0 fails at once", () => {
    let r = step(held(rollout(3, { ...plan, failureThreshold: { count: 5 } }), "n1"), T0);
    r = step(r.s, sec(60));
    expect(r.did).toEqual(["node-failed n1"]);
    expect(r.actions[0]).toMatchObject({
      reason: "held by block inhibitors for 60 s: backup-job (pid 4242): nightly backup running",
    });
    const now = step(held(rollout(3, { ...plan, blockedTimeoutSec: 0 }), "n1"), T0);
    expect(now.did).toEqual(["start-batch 0", "node-failed n1", "halt"]);
  });

  it("reboots a held node at once when an operator chose to skip its inhibitors", () => {
    let r = step(held(rollout(3, plan), "n1"), T0);
    expect(r.did).toContain("node-blocked n1");
    r = step(
      update(r.s, "n1", () => ({ skipInhibitors: true })),
      sec(10),
    );
    expect(r.did).toEqual(["reboot-node n1"]);
    expect(r.actions[0]).toMatchObject({ reason: "preconditions met; block inhibitors skipped by an operator" });
  });
});

describe("decide: FleetLock holders in the group", () => {
  const plan = { canary: null, batch: { size: 4 }, maxUnavailable: 2, settleSec: 0 };
  const holding = (s: RolloutSnapshot, holds: string[]) => ({ ...s, externalHolds: holds });

  it("count against max unavailable: a holder outside the rollout leaves one slot of two", () => {
    const r = step(holding(rollout(4, plan), ["zincati-host"]), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1"]);
    // Its client releases the slot: the next reboot starts.
    const released = step({ ...r.s, externalHolds: [] }, sec(5));
    expect(released.did).toEqual(["reboot-node n2"]);
  });

  it("keep a held node of the rollout waiting for its release, while its peers go on", () => {
    let r = step(holding(rollout(4, plan), ["n1"]), T0);
    // n1 is down for its FleetLock client: it takes a slot, and n2 takes the other.
    expect(r.did).toEqual(["start-batch 0", "reboot-node n2"]);
    r = step({ ...softRebooted(r.s, "n2"), externalHolds: [] }, sec(5));
    expect(r.did).toEqual(["node-succeeded n2", "reboot-node n1", "reboot-node n3"]);
  });

  it("are not counted twice when the node held is one this rollout is rebooting", () => {
    const r = step(rollout(4, plan), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1", "reboot-node n2"]);
    const next = step({ ...softRebooted(r.s, "n1"), externalHolds: ["n2"] }, sec(5));
    expect(next.did).toEqual(["node-succeeded n1", "reboot-node n3"]);
  });

  it("fill every slot: nothing starts until one is released", () => {
    const r = step(holding(rollout(4, plan), ["a", "b"]), T0);
    expect(r.did).toEqual(["start-batch 0"]);
  });
});

describe("decide", () => {
  it("walks a rollout through canary, settle, batches and completion", () => {
    let r = step(rollout(5, basic), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1"]);
    expect(r.wakeAt).toEqual(sec(300)); // n1's return timeout
    expect(r.s.nodes[0]?.before).toEqual({ bootId: "boot-1", softRebootsCount: 0, imageVersion: "1" });

    r = step(softRebooted(r.s, "n1"), sec(5));
    expect(r.did).toEqual(["node-succeeded n1", "finish-batch 0"]);
    expect(r.wakeAt).toEqual(sec(35)); // the canary settles for 30 s

    expect(step(r.s, sec(34)).did).toEqual([]);
    r = step(r.s, sec(35));
    // Max unavailable 1: one node of batch 1 at a time.
    expect(r.did).toEqual(["batch-settled 0", "start-batch 1", "reboot-node n2"]);

    r = step(softRebooted(r.s, "n2"), sec(40));
    expect(r.did).toEqual(["node-succeeded n2", "reboot-node n3"]);
    r = step(softRebooted(r.s, "n3"), sec(45));
    expect(r.did).toEqual(["node-succeeded n3", "finish-batch 1"]);
    r = step(r.s, sec(75));
    expect(r.did).toEqual(["batch-settled 1", "start-batch 2", "reboot-node n4"]);
    r = step(softRebooted(r.s, "n4"), sec(80));
    expect(r.did).toEqual(["node-succeeded n4", "reboot-node n5"]);
    r = step(softRebooted(r.s, "n5"), sec(85));
    // The last batch needs no settle delay.
    expect(r.did).toEqual(["node-succeeded n5", "finish-batch 2", "batch-settled 2", "complete"]);
    expect(r.actions.at(-1)?.reason).toBe("all 3 batches are done: 5 succeeded, 0 failed, 0 skipped");
    expect(r.s.rollout.status).toBe("completed");
    expect(r.wakeAt).toBeNull();
  });

  it("never has more than max unavailable nodes rebooting, across the rollout", () => {
    const r = step(rollout(6, { canary: null, batch: { size: 4 }, maxUnavailable: 3 }), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1", "reboot-node n2", "reboot-node n3"]);
    const next = step(softRebooted(r.s, "n2"), sec(2));
    expect(next.did).toEqual(["node-succeeded n2", "reboot-node n4"]);
  });

  it("fails a refused node with the agent's reason and halts past the threshold, once", () => {
    let r = step(rollout(4, { ...basic, canary: null, batch: { size: 4 }, maxUnavailable: 2 }), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1", "reboot-node n2"]);
    const refused = update(r.s, "n1", () => ({ commandOutcome: "refused", commandReason: "nextroot is not staged" }));
    r = step(refused, sec(1));
    expect(r.actions).toEqual([
      { type: "node-failed", nodeId: "n1", reason: "the agent refused the reboot: nextroot is not staged" },
      { type: "halt", reason: "1 node failed, more than the threshold of 0" },
    ]);
    // Halted: the reboot in flight is still judged, nothing new starts.
    r = step(softRebooted(r.s, "n2"), sec(3));
    expect(r.did).toEqual(["node-succeeded n2"]);

    const resumed = applyUserActionToSnapshot(r.s, "resume", sec(10), USER);
    if ("error" in resumed) throw new Error(resumed.error);
    expect(resumed.snapshot.rollout.failuresAcknowledged).toBe(1);
    r = step(resumed.snapshot, sec(10));
    expect(r.did).toEqual(["reboot-node n3", "reboot-node n4"]);
  });

  it("halts at once on a payload condition of the gate, whatever the failure threshold", () => {
    const plan = {
      ...basic,
      canary: null,
      batch: { size: 2 },
      maxUnavailable: 2,
      failureThreshold: { count: 5 },
      gate: { maxPinnedRootMb: 50 },
    };
    let r = step(rollout(4, plan), T0);
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1", "reboot-node n2"]);
    const pinned = update(softRebooted(r.s, "n1"), "n1", (n) => ({
      record: { ...n.record!, pinnedRoot: { kb: 80 * 1024, by: ["bad-survivor.service"] } },
    }));
    r = step(pinned, sec(2));
    const reason = "pinned old root 80.0 MB by bad-survivor.service, over the limit of 50 MB";
    expect(r.actions).toEqual([
      { type: "node-failed", nodeId: "n1", reason },
      { type: "halt", reason: `health gate: ${reason}` },
    ]);
    expect(r.s.rollout.status).toBe("halted");
    // Within the limit, the same rollout would have gone on.
    const fine = update(softRebooted(step(rollout(4, plan), T0).s, "n1"), "n1", (n) => ({
      record: { ...n.record!, pinnedRoot: { kb: 20 * 1024, by: ["bad-survivor.service"] } },
    }));
    expect(step(fine, sec(2)).did).toEqual(["node-succeeded n1"]);
  });

  it("fails a node that does not come back in time, and one that escalated", () => {
    const plan = { ...basic, canary: null, batch: { size: 2 }, maxUnavailable: 2, failureThreshold: { count: 5 } };
    let r = step(rollout(2, plan), T0);
    const escalated = update(r.s, "n2", (n) => ({
      commandOutcome: "accepted",
      facts: { ...n.facts, bootId: "boot-new" },
      record: {
        kind: "full-reboot",
        escalated: true,
        bootIdAfter: "boot-new",
        softRebootsCountAfter: 0,
        imageVersionAfter: "1",
        downtimeMs: 40_000,
        units: [],
        survivorsRestarted: [],
        pinnedRoot: null,
      },
    }));
    r = step(escalated, sec(60));
    expect(r.actions).toEqual([
      { type: "node-failed", nodeId: "n2", reason: "escalated to a full reboot (boot id changed)" },
    ]);
    expect(step(r.s, sec(299)).did).toEqual([]);
    r = step(r.s, sec(300));
    expect(r.actions[0]).toEqual({ type: "node-failed", nodeId: "n1", reason: "did not come back within 300 s" });
    expect(r.did).toEqual(["node-failed n1", "finish-batch 0", "batch-settled 0", "complete"]);
  });

  it("halts on a percentage threshold only when the failures exceed it", () => {
    // 10 nodes, 10 %: one failure is not more than 10 %, two are.
    const plan = { canary: null, batch: { size: 10 }, maxUnavailable: 10, failureThreshold: { percent: 10 } };
    let r = step(rollout(10, plan), T0);
    r = step(
      update(r.s, "n1", () => ({ commandOutcome: "expired" })),
      sec(1),
    );
    expect(r.did).toEqual(["node-failed n1"]);
    r = step(
      update(r.s, "n2", () => ({ commandOutcome: "refused", commandReason: null })),
      sec(2),
    );
    expect(r.actions).toEqual([
      { type: "node-failed", nodeId: "n2", reason: "the agent refused the reboot: no reason given" },
      { type: "halt", reason: "2 nodes failed, more than 10 % of 10 nodes" },
    ]);
  });

  it("checks preconditions right before a reboot and stops at the threshold", () => {
    let s = rollout(4, { canary: null, batch: { size: 4 }, maxUnavailable: 1, targetImageVersion: "2" });
    s = update(s, "n1", (n) => ({ facts: { ...n.facts, imageVersion: "2" } })); // already there: skipped
    s = update(s, "n2", (n) => ({ facts: { ...n.facts, nextroot: { staged: true, imageVersion: "2" } } }));
    s = update(s, "n3", (n) => ({ facts: { ...n.facts, online: false } }));
    const r = step(s, T0);
    // n3 is not checked yet: n2 takes the only free place.
    expect(r.did).toEqual(["start-batch 0", "node-skipped n1", "reboot-node n2"]);
    expect(r.actions[1]?.reason).toBe("already runs image version 2");
    const after = step(
      update(softRebooted(r.s, "n2"), "n2", (n) => ({ record: { ...n.record!, imageVersionAfter: "2" } })),
      sec(3),
    );
    // n3 is offline: failed, past the threshold of 0, so n4 (unstaged) is left for after the halt.
    expect(after.did).toEqual(["node-succeeded n2", "node-failed n3", "halt"]);
    expect(after.s.nodes[3]?.status).toBe("pending");
  });

  it("waits for a user's approval after the canary", () => {
    let r = step(rollout(3, { ...basic, approveAfterCanary: true, settleSec: 0 }), T0);
    r = step(softRebooted(r.s, "n1"), sec(2));
    expect(r.did).toEqual(["node-succeeded n1", "finish-batch 0", "batch-settled 0", "await-approval"]);
    expect(r.wakeAt).toBeNull();
    expect(step(r.s, sec(3600)).did).toEqual([]);

    // Paused and resumed before approving: still awaits approval.
    const paused = applyUserActionToSnapshot(r.s, "pause", sec(10), USER);
    if ("error" in paused) throw new Error(paused.error);
    const resumed = applyUserActionToSnapshot(paused.snapshot, "resume", sec(11), USER);
    if ("error" in resumed) throw new Error(resumed.error);
    expect(step(resumed.snapshot, sec(11)).did).toEqual(["await-approval"]);

    const approved = applyUserActionToSnapshot(r.s, "approve", sec(20), USER);
    if ("error" in approved) throw new Error(approved.error);
    expect(step(approved.snapshot, sec(20)).did).toEqual(["start-batch 1", "reboot-node n2"]);
  });

  it("starts nothing outside the maintenance window and wakes at its opening", () => {
    // Mondays 12:00-13:00 UTC; T0 is Monday 10:00.
    const window = { days: ["mon" as const], start: "12:00", end: "13:00", timeZone: "UTC" };
    let r = step(rollout(3, { ...basic, maxUnavailable: 1, window }), T0);
    expect(r.did).toEqual([]);
    expect(r.wakeAt).toEqual(new Date("2026-03-02T12:00:00Z"));
    r = step(r.s, new Date("2026-03-02T12:00:00Z"));
    expect(r.did).toEqual(["start-batch 0", "reboot-node n1"]);
    // The canary returns after the window closed: it is judged, but batch 1 waits a week.
    r = step(softRebooted(r.s, "n1"), new Date("2026-03-02T13:00:10Z"));
    expect(r.did).toEqual(["node-succeeded n1", "finish-batch 0"]);
    r = step(r.s, new Date("2026-03-02T13:00:40Z"));
    expect(r.did).toEqual(["batch-settled 0"]);
    expect(r.wakeAt).toEqual(new Date("2026-03-09T12:00:00Z"));
  });

  it("lets reboots in flight finish when paused, and starts none until resumed", () => {
    let r = step(rollout(3, { ...basic, settleSec: 0 }), T0);
    const paused = applyUserActionToSnapshot(r.s, "pause", sec(1), USER);
    if ("error" in paused) throw new Error(paused.error);
    r = step(softRebooted(paused.snapshot, "n1"), sec(2));
    expect(r.did).toEqual(["node-succeeded n1", "finish-batch 0", "batch-settled 0"]);
    expect(r.wakeAt).toBeNull();
    const resumed = applyUserActionToSnapshot(r.s, "resume", sec(9), USER);
    if ("error" in resumed) throw new Error(resumed.error);
    expect(step(resumed.snapshot, sec(9)).did).toEqual(["start-batch 1", "reboot-node n2"]);
  });

  it("on abort, waits for the reboots in flight, then cancels what is left", () => {
    let r = step(rollout(4, { canary: null, batch: { size: 2 }, maxUnavailable: 2 }), T0);
    const aborted = applyUserActionToSnapshot(r.s, "abort", sec(1), USER);
    if ("error" in aborted) throw new Error(aborted.error);
    r = step(softRebooted(aborted.snapshot, "n1"), sec(2));
    expect(r.did).toEqual(["node-succeeded n1"]);
    expect(r.wakeAt).toEqual(sec(300)); // n2's timeout
    r = step(r.s, sec(300));
    expect(r.did).toEqual(["node-failed n2", "cancel-pending-nodes"]);
    expect(r.s.nodes.map((n) => n.status)).toEqual(["succeeded", "failed", "cancelled", "cancelled"]);
    expect(r.s.batches.map((b) => b.status)).toEqual(["cancelled", "cancelled"]);
    expect(r.s.rollout.status).toBe("aborted");
    expect(r.wakeAt).toBeNull();
  });

  it("records every transition with its reason and actor", () => {
    const s = rollout(2, { canary: null, batch: { size: 2 } });
    const { actions } = decide(s, T0);
    const { transitions } = applyActions(s, actions, T0);
    expect(transitions).toEqual([
      {
        machine: "batch",
        subject: "0",
        from: "pending",
        to: "running",
        at: T0,
        reason: "batch 1 of 1 starts",
        actor: { kind: "engine" },
      },
      {
        machine: "node",
        subject: "n1",
        from: "pending",
        to: "rebooting",
        at: T0,
        reason: "preconditions met",
        actor: { kind: "engine" },
      },
    ]);
  });

  it("applies actions to a copy: the snapshot decided on is left as it was, down to its nodes", () => {
    let s = rollout(4, { canary: null, batch: { size: 2 } });
    s = step(s, T0).s;
    s = softRebooted(s, "n1");
    const before = structuredClone(s);
    const { actions } = decide(s, sec(1));
    const applied = applyActions(s, actions, sec(1)).snapshot;
    expect(actions.map(short)).toContain("node-succeeded n1");
    expect(s).toEqual(before);
    expect(applied.nodes[0]!.status).toBe("succeeded");
    expect(s.nodes[0]!.status).toBe("rebooting");
  });
});
