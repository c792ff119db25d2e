import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./stats";

describe("benchmark statistics", () => {
  it("takes percentiles by nearest rank", () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarizes without reordering the input", () => {
    const values = [300.4, 100.2, 200.6];
    expect(summarize(values)).toEqual({ runs: 3, minMs: 100, p50Ms: 201, maxMs: 300 });
    expect(values).toEqual([300.4, 100.2, 200.6]);
  });
});
