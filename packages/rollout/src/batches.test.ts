import { describe, expect, it } from "vitest";
import { planBatches } from "./batches";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

describe("planBatches", () => {
  it("puts the canary first, then batches of the given size in input order, the last one short", () => {
    expect(planBatches(ids(8), { canary: { count: 1 }, batch: { size: 3 } })).toEqual([
      { index: 0, kind: "canary", nodeIds: ["n1"] },
      { index: 1, kind: "batch", nodeIds: ["n2", "n3", "n4"] },
      { index: 2, kind: "batch", nodeIds: ["n5", "n6", "n7"] },
      { index: 3, kind: "batch", nodeIds: ["n8"] },
    ]);
  });

  it("sizes percentage batches from the whole group, rounded up", () => {
    // 10 nodes, 25 %: ceil(2.5) = 3 per batch; 8 left after a 2-node canary.
    const batches = planBatches(ids(10), { canary: { count: 2 }, batch: { percent: 25 } });
    expect(batches.map((b) => b.nodeIds.length)).toEqual([2, 3, 3, 2]);
    expect(batches.map((b) => b.kind)).toEqual(["canary", "batch", "batch", "batch"]);
  });

  it("makes percentage batches at least one node", () => {
    expect(planBatches(ids(3), { canary: null, batch: { percent: 1 } }).map((b) => b.nodeIds)).toEqual([
      ["n1"],
      ["n2"],
      ["n3"],
    ]);
  });

  it("without a canary starts with an ordinary batch at index 0", () => {
    expect(planBatches(ids(4), { canary: null, batch: { percent: 100 } })).toEqual([
      { index: 0, kind: "batch", nodeIds: ["n1", "n2", "n3", "n4"] },
    ]);
  });

  it("keeps the caller's order and plans nothing for no nodes", () => {
    expect(planBatches(["c", "a", "b"], { canary: { count: 1 }, batch: { size: 5 } })[1]?.nodeIds).toEqual(["a", "b"]);
    expect(planBatches([], { canary: { count: 1 }, batch: { size: 2 } })).toEqual([]);
  });
});
