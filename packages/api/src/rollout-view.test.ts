import { describe, expect, it } from "vitest";
import { applyRolloutViewDelta, rolloutViewDelta } from "./rollout-view";

const view = (statuses: string[], transitions: string[], status = "running") => ({
  id: "r1",
  status,
  updatedAt: new Date(1_000),
  nodes: statuses.map((s, i) => ({ nodeId: `n${i}`, status: s, rebootStartedAt: null as Date | null })),
  transitions: transitions.map((id) => ({ id, to: `t${id}` })),
});

describe("a rollout page's deltas", () => {
  it("carry the changed nodes, the new transitions and the rollout's fields only when they moved", () => {
    const before = view(["pending", "pending", "pending"], ["2", "1"]);
    expect(rolloutViewDelta(before, view(["pending", "pending", "pending"], ["2", "1"]))).toBeNull();
    const after = view(["rebooting", "pending", "pending"], ["4", "3", "2", "1"]);
    after.nodes[0]!.rebootStartedAt = new Date(5_000);
    const delta = rolloutViewDelta(before, after)!;
    expect(delta.nodes.map((n) => n.nodeId)).toEqual(["n0"]);
    expect(delta.transitions.map((t) => t.id)).toEqual(["4", "3"]);
    expect(delta.fields).toBeNull();
    expect(applyRolloutViewDelta(before, delta)).toEqual(after);
    const halted = view(["rebooting", "pending", "pending"], ["4", "3", "2", "1"], "halted");
    halted.nodes[0]!.rebootStartedAt = new Date(5_000);
    expect(rolloutViewDelta(after, halted)).toEqual({
      fields: expect.objectContaining({ status: "halted" }),
      nodes: [],
      order: null,
      transitions: [],
    });
  });

  it("keep the newest 500 transitions, as the view does", () => {
    const many = Array.from({ length: 500 }, (_, i) => String(500 - i));
    const before = view([], many);
    const after = view([], ["501", ...many.slice(0, 499)]);
    expect(applyRolloutViewDelta(before, rolloutViewDelta(before, after)!)).toEqual(after);
  });
});

describe("a filtered rollout page's deltas", () => {
  it("bring the nodes that entered the page and its new order, and drop those that left", () => {
    const before = view(["failed", "failed"], ["1"]);
    const after = {
      ...before,
      nodes: [before.nodes[0]!, { nodeId: "n7", status: "failed", rebootStartedAt: null }, before.nodes[1]!],
    };
    const entered = rolloutViewDelta(before, after)!;
    expect(entered.nodes.map((n) => n.nodeId)).toEqual(["n7"]);
    expect(entered.order).toEqual(["n0", "n7", "n1"]);
    expect(applyRolloutViewDelta(before, entered)).toEqual(after);
    const left = { ...after, nodes: [after.nodes[1]!] };
    const delta = rolloutViewDelta(after, left)!;
    expect(delta.nodes).toEqual([]);
    expect(applyRolloutViewDelta(after, delta)).toEqual(left);
  });
});
