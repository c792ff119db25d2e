import { describe, expect, it } from "vitest";
import { checkPreconditions, type NodeReadiness } from "./preconditions";

const ready: NodeReadiness = {
  online: true,
  inhibitor: "held",
  imageVersion: "1",
  nextroot: { staged: true, imageVersion: "2" },
};
const noTarget = { targetImageVersion: null, whenNotStaged: "fail" } as const;
const target2 = (whenNotStaged: "skip" | "fail") => ({ targetImageVersion: "2", whenNotStaged });

describe("checkPreconditions", () => {
  it("passes an online node with a held inhibitor and the target staged", () => {
    expect(checkPreconditions(ready, target2("fail"))).toEqual({ ok: true });
    expect(checkPreconditions({ ...ready, nextroot: { staged: false, imageVersion: null } }, noTarget)).toEqual({
      ok: true,
    });
  });

  it("fails an offline node and an unhealthy agent, whatever the plan says about staging", () => {
    expect(checkPreconditions({ ...ready, online: false }, target2("skip"))).toEqual({
      ok: false,
      outcome: "fail",
      reason: "node is offline",
    });
    expect(checkPreconditions({ ...ready, inhibitor: "released" }, noTarget)).toEqual({
      ok: false,
      outcome: "fail",
      reason: "agent is not healthy: its shutdown delay inhibitor is released, must be held",
    });
    expect(checkPreconditions({ ...ready, inhibitor: null }, noTarget)).toMatchObject({
      outcome: "fail",
      reason: "agent is not healthy: its shutdown delay inhibitor is not reported, must be held",
    });
  });

  it("skips or fails a node without the target staged, as the plan says", () => {
    const unstaged = { ...ready, nextroot: { staged: false, imageVersion: null } };
    expect(checkPreconditions(unstaged, target2("skip"))).toEqual({
      ok: false,
      outcome: "skip",
      reason: "image version 2 is not staged at /run/nextroot",
    });
    expect(checkPreconditions(unstaged, target2("fail"))).toMatchObject({ outcome: "fail" });
    const wrong = { ...ready, nextroot: { staged: true, imageVersion: "3" } };
    expect(checkPreconditions(wrong, target2("fail"))).toEqual({
      ok: false,
      outcome: "fail",
      reason: "/run/nextroot holds image version 3, expected 2",
    });
  });

  it("skips a node already on the target with nothing staged", () => {
    const done = { ...ready, imageVersion: "2", nextroot: { staged: false, imageVersion: null } };
    expect(checkPreconditions(done, target2("fail"))).toEqual({
      ok: false,
      outcome: "skip",
      reason: "already runs image version 2",
    });
  });
});
