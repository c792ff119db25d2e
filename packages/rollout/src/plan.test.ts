import { describe, expect, it } from "vitest";
import { rolloutPlan } from "./plan";
import { issuesFromZodError, parsePlanForGroup, validatePlanForGroup } from "./plan-issues";

const defaults = rolloutPlan.parse({});

describe("rolloutPlan", () => {
  it("fills in the defaults", () => {
    expect(defaults).toEqual({
      canary: { count: 1 },
      batch: { percent: 25 },
      maxUnavailable: 1,
      settleSec: 30,
      approveAfterCanary: false,
      window: null,
      targetImageVersion: null,
      image: null,
      staging: { concurrency: 2, bandwidthMBps: null, timeoutSec: 1800 },
      whenNotStaged: "fail",
      blockedTimeoutSec: 600,
      autoRollback: false,
      gate: {
        returnTimeoutSec: 300,
        requiredUnits: [],
        maxDowntimeMs: null,
        haltOnSurvivorRestart: false,
        maxPinnedRootMb: null,
      },
      failureThreshold: { count: 0 },
    });
  });

  it("names the field and what is wrong with it, in a form's words", () => {
    const parsed = rolloutPlan.safeParse({
      batch: { size: 0 },
      maxUnavailable: "two",
      window: { days: [], start: "24:00", end: "06:00", timeZone: "Mars/Olympus_Mons" },
      whenNotStaged: "ignore",
    });
    expect(parsed.success).toBe(false);
    expect(issuesFromZodError(parsed.error!)).toEqual([
      { field: "batch.size", message: "batch size must be at least 1 node" },
      { field: "maxUnavailable", message: "max unavailable must be a number" },
      { field: "window.days", message: "window days must have at least one day" },
      { field: "window.start", message: "window start must be a time of day as HH:MM, from 00:00 to 23:59" },
      { field: "window.timeZone", message: "window time zone must be an IANA time zone such as Europe/Berlin" },
      { field: "whenNotStaged", message: "when the target is not staged must be one of skip, fail" },
    ]);
  });

  it("bounds every duration, so no timer can overflow into a hot loop", () => {
    const parsed = rolloutPlan.safeParse({
      settleSec: 30 * 86_400,
      gate: { returnTimeoutSec: 2 ** 31, maxDowntimeMs: 1e15 },
      maxUnavailable: 1e12,
    });
    expect(parsed.success).toBe(false);
    expect(issuesFromZodError(parsed.error!).map((i) => i.field)).toEqual([
      "maxUnavailable",
      "settleSec",
      "gate.returnTimeoutSec",
      "gate.maxDowntimeMs",
    ]);
    // A day is the most any of them takes.
    expect(rolloutPlan.safeParse({ settleSec: 86_400, gate: { returnTimeoutSec: 86_400 } }).success).toBe(true);
  });

  it("refuses a batch given both as a size and a percentage", () => {
    const parsed = rolloutPlan.safeParse({ batch: { size: 2, percent: 10 } });
    expect(issuesFromZodError(parsed.error!)).toEqual([
      { field: "batch", message: "batch must be either a size in nodes or a percentage, not both" },
    ]);
  });
});

describe("validatePlanForGroup", () => {
  it("accepts a plan that fits the group", () => {
    expect(validatePlanForGroup({ ...defaults, maxUnavailable: 4 }, 4)).toEqual([]);
  });

  it("refuses an empty group", () => {
    expect(validatePlanForGroup(defaults, 0)).toEqual([
      { field: "group", message: "the group has no nodes: there is nothing to roll out" },
    ]);
  });

  it("refuses max unavailable above the group, a canary as large as it, and approval without a canary", () => {
    expect(validatePlanForGroup({ ...defaults, maxUnavailable: 5, canary: { count: 4 } }, 4)).toEqual([
      {
        field: "canary.count",
        message:
          "canary size (4 nodes) must be smaller than the group's 4 nodes; turn the canary off for a group this small",
      },
      { field: "maxUnavailable", message: "max unavailable (5) is above the group's 4 nodes" },
    ]);
    expect(validatePlanForGroup({ ...defaults, canary: null, approveAfterCanary: true }, 3)).toEqual([
      { field: "approveAfterCanary", message: "approval after the canary needs a canary" },
    ]);
  });

  it("parses and checks in one go", () => {
    expect(parsePlanForGroup({ maxUnavailable: 2 }, 1)).toEqual({
      ok: false,
      issues: [
        {
          field: "canary.count",
          message:
            "canary size (1 node) must be smaller than the group's 1 node; turn the canary off for a group this small",
        },
        { field: "maxUnavailable", message: "max unavailable (2) is above the group's 1 node" },
      ],
    });
    expect(parsePlanForGroup({ canary: null }, 1)).toMatchObject({ ok: true, plan: { canary: null } });
  });
});
