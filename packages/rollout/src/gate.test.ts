import { describe, expect, it } from "vitest";
import { evaluateGate, type GateInput, type RebootOutcome } from "./gate";

const BOOT = "11111111-2222-3333-4444-555555555555";
const OTHER = "99999999-2222-3333-4444-555555555555";

const record: RebootOutcome = {
  kind: "soft-reboot",
  escalated: false,
  bootIdAfter: BOOT,
  softRebootsCountAfter: 4,
  imageVersionAfter: "2",
  downtimeMs: 1800,
  units: [
    { name: "demo-ordinary.service", activeState: "active" },
    { name: "demo-survivor.service", activeState: "active" },
  ],
  survivorsRestarted: [],
  pinnedRoot: null,
};

const input = (over: Partial<GateInput> = {}, rec: Partial<RebootOutcome> = {}): GateInput => ({
  before: { bootId: BOOT, softRebootsCount: 3 },
  record: { ...record, ...rec },
  online: true,
  plan: {
    targetImageVersion: "2",
    gate: {
      returnTimeoutSec: 300,
      requiredUnits: ["demo-ordinary.service"],
      maxDowntimeMs: 2000,
      haltOnSurvivorRestart: false,
      maxPinnedRootMb: null,
    },
  },
  ...over,
});

describe("evaluateGate", () => {
  it("passes a soft-reboot onto the target with the units active within the budget", () => {
    expect(evaluateGate(input())).toEqual({ ok: true });
  });

  it("fails an escalation to a full reboot", () => {
    expect(
      evaluateGate(input({}, { kind: "full-reboot", escalated: true, bootIdAfter: OTHER, softRebootsCountAfter: 0 })),
    ).toEqual({ ok: false, reason: "escalated to a full reboot (boot id changed)" });
  });

  it("fails a soft-reboot whose counter did not go up by one", () => {
    expect(evaluateGate(input({}, { softRebootsCountAfter: 5 }))).toEqual({
      ok: false,
      reason: "soft-reboots count went from 3 to 5, expected 4",
    });
  });

  it("trusts the unchanged boot id on hosts that do not count soft-reboots", () => {
    expect(
      evaluateGate(input({ before: { bootId: BOOT, softRebootsCount: null } }, { softRebootsCountAfter: null })),
    ).toEqual({ ok: true });
  });

  it("names every failed check, in order", () => {
    const result = evaluateGate(
      input(
        {},
        {
          imageVersionAfter: "1",
          downtimeMs: 2300,
          units: [{ name: "demo-ordinary.service", activeState: "failed" }],
          survivorsRestarted: [],
          pinnedRoot: null,
        },
      ),
    );
    expect(result).toEqual({
      ok: false,
      reason:
        "image version is 1, expected 2; unit demo-ordinary.service is failed, must be active; downtime 2300 ms exceeds the budget of 2000 ms",
    });
  });

  it("fails a required unit the node did not report, and an unmeasured downtime under a budget", () => {
    expect(evaluateGate(input({}, { units: [], downtimeMs: null }))).toEqual({
      ok: false,
      reason:
        "unit demo-ordinary.service is missing, must be active; downtime was not measured, so the budget of 2000 ms is not met",
    });
  });

  it("halts on a surviving payload that restarted, and on an old root pinned over the limit, when the plan asks", () => {
    const strict = (gate: Partial<GateInput["plan"]["gate"]>) => ({
      plan: { ...input().plan, gate: { ...input().plan.gate, ...gate } },
    });
    const restarted = { survivorsRestarted: ["demo-survivor.service"] };
    const pinned = { pinnedRoot: { kb: 60 * 1024, by: ["bad-survivor.service"] } };
    // Off by default: reported, never judged.
    expect(evaluateGate(input({}, { ...restarted, ...pinned }))).toEqual({ ok: true });
    expect(evaluateGate(input(strict({ haltOnSurvivorRestart: true }), restarted))).toEqual({
      ok: false,
      reason: "a surviving payload restarted: demo-survivor.service",
      halt: "a surviving payload restarted: demo-survivor.service",
    });
    const over = "pinned old root 60.0 MB by bad-survivor.service, over the limit of 50 MB";
    expect(evaluateGate(input(strict({ maxPinnedRootMb: 50 }), pinned))).toEqual({
      ok: false,
      reason: over,
      halt: over,
    });
    expect(evaluateGate(input(strict({ maxPinnedRootMb: 64 }), pinned))).toEqual({ ok: true });
    // Other failures are named first; only the payload ones halt.
    const both = evaluateGate(input(strict({ maxPinnedRootMb: 50 }), { ...pinned, imageVersionAfter: "1" }));
    expect(both).toEqual({ ok: false, reason: `image version is 1, expected 2; ${over}`, halt: over });
  });

  it("does not check image, units or downtime the plan does not ask for", () => {
    const lenient = {
      targetImageVersion: null,
      gate: {
        returnTimeoutSec: 300,
        requiredUnits: [],
        maxDowntimeMs: null,
        haltOnSurvivorRestart: false,
        maxPinnedRootMb: null,
      },
    };
    expect(evaluateGate(input({ plan: lenient }, { imageVersionAfter: null, downtimeMs: null, units: [] }))).toEqual({
      ok: true,
    });
  });

  it("fails without a record or offline", () => {
    expect(evaluateGate(input({ record: null }))).toEqual({ ok: false, reason: "no reboot record arrived" });
    expect(evaluateGate(input({ online: false }))).toEqual({ ok: false, reason: "node is offline after its reboot" });
  });
});
