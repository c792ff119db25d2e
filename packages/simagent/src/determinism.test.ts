import { bootId, machineId } from "@softfleet/protocol";
import { describe, expect, it } from "vitest";
import { assignFault, faultRateProblem } from "./faults";
import { SimulatedHost } from "./host";
import { seededRandom } from "./random";
import { planReboot } from "./timings";

const rate = { slow: 0.02, escalate: 0.01, neverReturns: 0.01, refuse: 0.01 };

describe("seeding", () => {
  it("gives the same machine ids, boot ids, clocks and units for the same seed and index", () => {
    const a = new SimulatedHost(42, 7, "sim-0007", "1");
    const b = new SimulatedHost(42, 7, "sim-0007", "1");
    expect(machineId.safeParse(a.machineId).success).toBe(true);
    expect(bootId.safeParse(a.bootId).success).toBe(true);
    expect([a.machineId, a.bootId, a.manager, a.units]).toEqual([b.machineId, b.bootId, b.manager, b.units]);
    // Same uptime to within the microseconds between the two constructions.
    expect(Number(a.monotonicUsec() - b.monotonicUsec())).toBeLessThan(1_000_000);
    const other = new SimulatedHost(43, 7, "sim-0007", "1");
    expect(other.machineId).not.toBe(a.machineId);
    expect(new SimulatedHost(42, 8, "sim-0008", "1").machineId).not.toBe(a.machineId);
  });

  it("gives the same timings per reboot, and different ones for the next reboot", () => {
    const input = { seed: "demo", index: 3, rebootNumber: 1, fault: null, timeScale: 1 };
    expect(planReboot(input)).toEqual(planReboot(input));
    expect(planReboot({ ...input, rebootNumber: 2 })).not.toEqual(planReboot(input));
    const t = planReboot(input);
    expect(t.shutdownUsec).toBeGreaterThanOrEqual(80_000n);
    expect(t.shutdownUsec).toBeLessThan(250_000n);
    expect(t.userspaceStartUsec).toBeGreaterThanOrEqual(300_000n);
    expect(t.bootToFinishUsec).toBeLessThan(400_000n);
    const scaled = planReboot({ ...input, timeScale: 0.1 });
    expect(Number(scaled.shutdownUsec)).toBeCloseTo(Number(t.shutdownUsec) / 10, -1);
    const slow = planReboot({ ...input, fault: "slow" });
    expect(slow.slowFactor).toBeGreaterThanOrEqual(5);
    expect(slow.shutdownUsec).toBeGreaterThanOrEqual(5n * 80_000n);
  });

  it("assigns the same faults for the same seed, at about the rates asked for", () => {
    const draw = (seed: number) => Array.from({ length: 5000 }, (_, i) => assignFault(seed, i, rate));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
    const faults = draw(1);
    const share = (fault: string) => faults.filter((f) => f === fault).length / faults.length;
    expect(share("slow")).toBeCloseTo(0.02, 2);
    expect(share("refuse")).toBeGreaterThan(0.005);
    expect(share("refuse")).toBeLessThan(0.02);
    expect(faults.filter((f) => f === null).length / faults.length).toBeCloseTo(0.95, 1);
    expect(assignFault(1, 0, { refuse: 1 })).toBe("refuse");
  });

  it("explains a bad rate table", () => {
    expect(faultRateProblem(rate)).toBeNull();
    expect(faultRateProblem({ slow: 0.7, refuse: 0.6 })).toBe("faultRate adds up to 1.2999999999999998, more than 1");
    expect(faultRateProblem({ slow: -1 })).toBe("faultRate.slow must be between 0 and 1");
    expect(faultRateProblem({ sluggish: 0.1 } as never)).toBe("faultRate.sluggish is not a fault");
  });

  it("draws numbers spread over [0, 1)", () => {
    const random = seededRandom("x", 1);
    const values = Array.from({ length: 10_000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((a, b) => a + b) / values.length).toBeCloseTo(0.5, 1);
  });
});
