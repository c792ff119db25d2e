import { describe, expect, it } from "vitest";
import { applyActions } from "./apply";
import { checkInvariants, type Moment } from "./invariants";
import type { NodeStatus } from "./machine";
import { rolloutPlan } from "./plan";
import type { RolloutSnapshot } from "./snapshot";
import { initialSnapshot } from "./start";

const T0 = new Date("2026-03-02T10:00:00Z"); // Monday
const sec = (s: number) => new Date(T0.getTime() + s * 1000);

function base(plan: object = {}): RolloutSnapshot {
  return initialSnapshot({
    id: "r1",
    plan: rolloutPlan.parse({ canary: null, batch: { size: 3 }, maxUnavailable: 2, ...plan }),
    nodes: ["a", "b", "c", "d"].map((nodeId) => ({
      nodeId,
      facts: {
        online: true,
        inhibitor: "held",
        imageVersion: null,
        nextroot: { staged: false, imageVersion: null },
        bootId: `boot-${nodeId}`,
        softRebootsCount: 0,
        units: [],
      },
    })),
  });
}

/** A snapshot with batch 0 running and nodes set to the given statuses, started at `startedAt`. */
function withNodes(s: RolloutSnapshot, statuses: Record<string, NodeStatus>, startedAt: Date): RolloutSnapshot {
  return {
    ...s,
    batches: s.batches.map((b) => (b.index === 0 ? { ...b, status: "running" } : b)),
    nodes: s.nodes.map((n) =>
      statuses[n.nodeId]
        ? {
            ...n,
            status: statuses[n.nodeId]!,
            rebootStartedAt: statuses[n.nodeId] === "rebooting" ? startedAt : n.rebootStartedAt,
          }
        : n,
    ),
  };
}

describe("checkInvariants", () => {
  it("finds nothing wrong in reboots the engine started properly", () => {
    const s0 = base();
    const s1 = applyActions(
      s0,
      [
        { type: "start-batch", batchIndex: 0, reason: "" },
        { type: "reboot-node", nodeId: "a", reason: "" },
        { type: "reboot-node", nodeId: "b", reason: "" },
      ],
      sec(1),
    ).snapshot;
    const history: Moment[] = [
      { at: T0, snapshot: s0 },
      { at: sec(1), snapshot: s1 },
      { at: sec(2), snapshot: s1 },
    ];
    expect(checkInvariants(history)).toEqual([]);
  });

  it("reports more nodes rebooting than max unavailable", () => {
    const s = withNodes(base(), { a: "rebooting", b: "rebooting", c: "rebooting" }, sec(1));
    expect(checkInvariants([{ at: sec(1), snapshot: s }]).map((v) => v.rule)).toEqual(["max-unavailable"]);
  });

  it("reports a node rebooted twice", () => {
    const s0 = base();
    const first = withNodes(s0, { a: "rebooting" }, sec(1));
    const back = withNodes(s0, { a: "succeeded" }, sec(1));
    const again = withNodes(s0, { a: "rebooting" }, sec(9));
    const violations = checkInvariants([
      { at: T0, snapshot: s0 },
      { at: sec(1), snapshot: first },
      { at: sec(5), snapshot: back },
      { at: sec(9), snapshot: again },
    ]);
    expect(violations).toEqual([{ at: sec(9), rule: "rebooted-twice", message: "node a rebooted a second time" }]);
  });

  it("reports a reboot decided while paused, outside the window, or before the earlier batch is done", () => {
    const paused: RolloutSnapshot = { ...base(), rollout: { ...base().rollout, status: "paused" } };
    const started = withNodes(paused, { a: "rebooting" }, sec(1));
    expect(
      checkInvariants([
        { at: T0, snapshot: paused },
        { at: sec(1), snapshot: started },
      ]).map((v) => v.rule),
    ).toEqual(["reboot-while-not-running"]);

    // Tuesdays only; T0 is a Monday.
    const windowed = base({ window: { days: ["tue"], start: "00:00", end: "00:00", timeZone: "UTC" } });
    const outside = withNodes(windowed, { b: "rebooting" }, sec(1));
    expect(checkInvariants([{ at: sec(1), snapshot: outside }]).map((v) => v.rule)).toEqual(["reboot-outside-window"]);

    // d is in batch 1 while batch 0 is running.
    const early = withNodes(base(), { d: "rebooting" }, sec(1));
    expect(checkInvariants([{ at: sec(1), snapshot: early }])).toEqual([
      { at: sec(1), rule: "batch-order", message: "node d of batch 1 rebooted while batch 0 was running" },
    ]);
  });
});
