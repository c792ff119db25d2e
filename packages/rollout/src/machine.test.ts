import { describe, expect, it } from "vitest";
import {
  applyUserAction,
  canTransition,
  isTerminal,
  mayStartReboots,
  rolloutStatuses,
  TransitionError,
  transition,
} from "./machine";

describe("state machines", () => {
  it("allow the transitions of the table and refuse others with a typed error", () => {
    expect(transition("node", "pending", "rebooting")).toBe("rebooting");
    expect(transition("batch", "running", "settling")).toBe("settling");
    expect(() => transition("node", "succeeded", "rebooting")).toThrow(TransitionError);
    expect(() => transition("batch", "pending", "done")).toThrow("a batch cannot go from pending to done");
    try {
      transition("rollout", "completed", "running");
    } catch (error) {
      expect(error).toMatchObject({ code: "forbidden-transition", kind: "rollout", from: "completed", to: "running" });
    }
  });

  it("never let a node that left rebooting reboot again", () => {
    for (const done of ["succeeded", "failed", "skipped", "cancelled"] as const) {
      expect(canTransition("node", done, "rebooting")).toBe(false);
      expect(isTerminal("node", done)).toBe(true);
    }
    expect(canTransition("node", "rebooting", "cancelled")).toBe(false);
  });

  it("end a rollout only as completed or aborted", () => {
    expect(rolloutStatuses.filter((s) => isTerminal("rollout", s))).toEqual(["completed", "aborted"]);
    expect(rolloutStatuses.filter(mayStartReboots)).toEqual(["running"]);
  });
});

describe("applyUserAction", () => {
  it("pauses, resumes, approves and aborts from the allowed states", () => {
    expect(applyUserAction("running", "pause")).toEqual({ to: "paused" });
    expect(applyUserAction("awaiting-approval", "pause")).toEqual({ to: "paused" });
    expect(applyUserAction("halted", "resume")).toEqual({ to: "running" });
    expect(applyUserAction("awaiting-approval", "approve")).toEqual({ to: "running" });
    expect(applyUserAction("halted", "abort")).toEqual({ to: "aborted" });
  });

  it("says why a button does nothing", () => {
    expect(applyUserAction("completed", "resume")).toEqual({ error: "cannot resume a completed rollout" });
    expect(applyUserAction("running", "approve")).toEqual({ error: "cannot approve a running rollout" });
    expect(applyUserAction("aborted", "abort")).toEqual({ error: "cannot abort an aborted rollout" });
    expect(applyUserAction("awaiting-approval", "resume")).toEqual({
      error: "cannot resume a rollout awaiting approval",
    });
  });

  it("only leads to transitions the rollout table allows", () => {
    for (const status of rolloutStatuses) {
      for (const action of ["pause", "resume", "approve", "abort"] as const) {
        const result = applyUserAction(status, action);
        if ("to" in result) expect(canTransition("rollout", status, result.to)).toBe(true);
      }
    }
  });
});
