import { describe, expect, it } from "vitest";
import { LiveRowsCache } from "./live-rows";

const row = (nodeId: string, facts = "v1") => ({ nodeId, facts });

function cache() {
  let now = 0;
  const rows = new LiveRowsCache<ReturnType<typeof row>>(1_000, () => now);
  return { rows, advance: (ms: number) => (now += ms) };
}

describe("the live rows an engine keeps between its steps", () => {
  it("reads a row once, then again only after its node is announced as changed", () => {
    const { rows } = cache();
    expect(rows.take("r", ["a", "b"]).toRead).toEqual(["a", "b"]);
    rows.keep("r", [row("a"), row("b")]);
    expect(rows.take("r", ["a", "b"])).toEqual({ kept: [row("a"), row("b")], toRead: [] });
    rows.keep("r", []);
    rows.changed("b");
    expect(rows.take("r", ["a", "b"])).toEqual({ kept: [row("a")], toRead: ["b"] });
  });

  it("does not keep a row whose node was announced as changed while it was being read", () => {
    const { rows } = cache();
    rows.take("r", ["a", "b"]);
    // The announcement of a change committed after the read's snapshot arrives before the read ends.
    rows.changed("a");
    rows.keep("r", [row("a", "stale"), row("b")]);
    expect(rows.take("r", ["a", "b"]).toRead).toEqual(["a"]);
  });

  it("reads a row again once it is old, even with no announcement, spread over half to all of its age", () => {
    const { rows, advance } = cache();
    const ids = Array.from({ length: 200 }, (_, i) => `n${i}`);
    rows.take("r", ids);
    rows.keep(
      "r",
      ids.map((id) => row(id)),
    );
    advance(499);
    expect(rows.take("r", ids).toRead).toEqual([]);
    rows.keep("r", []);
    advance(250);
    const some = rows.take("r", ids).toRead.length;
    rows.keep("r", []);
    expect(some).toBeGreaterThan(0);
    expect(some).toBeLessThan(200);
    advance(251);
    expect(rows.take("r", ids).toRead).toHaveLength(200);
  });

  it("drops the rows of nodes an engine step moved, and a rollout a user changed", () => {
    const { rows } = cache();
    rows.take("r", ["a", "b"]);
    rows.keep("r", [row("a"), row("b")]);
    rows.drop("r", ["a"]);
    expect(rows.take("r", ["a", "b"]).toRead).toEqual(["a"]);
    rows.keep("r", [row("a")]);
    rows.forget("r");
    expect(rows.take("r", ["a", "b"]).toRead).toEqual(["a", "b"]);
  });

  it("keeps nothing after a gap in listening, not even what a read under way returns", () => {
    const { rows } = cache();
    rows.take("r", ["a"]);
    rows.keep("r", [row("a")]);
    rows.take("r", ["b"]);
    rows.clear();
    rows.keep("r", [row("b")]);
    expect(rows.size).toBe(0);
  });

  it("keeps the rows of a few rollouts at most, the least recently read going first", () => {
    let now = 0;
    const rows = new LiveRowsCache<ReturnType<typeof row>>(1_000, () => now, 2);
    for (const id of ["r1", "r2", "r3"]) {
      rows.take(id, ["a"]);
      rows.keep(id, [row(`${id}-a`)]);
      now += 1;
    }
    expect(rows.size).toBe(2);
    expect(rows.take("r1", ["r1-a"]).toRead).toEqual(["r1-a"]);
  });
});
