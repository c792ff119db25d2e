import { type Seed, seededRandom } from "./random";

/**
 * What can go wrong with a simulated node, on each soft-reboot it is asked for:
 * - slow: comes back, but the shutdown and boot take 5-10 times as long;
 * - escalate: the host reboots fully (new boot id, SoftRebootsCount 0, the staged image lost);
 * - never-returns: goes down and stays down (until the fleet stops);
 * - refuse: answers the command "refused" with the reason "simulated refusal";
 * - wrong-image: soft-reboots, but comes back on the image it had before;
 * - pins-old-root: soft-reboots into the new image, but a survivor still runs
 *   from the old root and pins 20-90 MB of it (until the fleet stops).
 */
export const FAULTS = ["slow", "escalate", "never-returns", "refuse", "wrong-image", "pins-old-root"] as const;
export type Fault = (typeof FAULTS)[number];

/** Probabilities (0..1) that a node gets each fault when the fleet starts; they must add up to at most 1. */
export interface FaultRate {
  slow?: number;
  escalate?: number;
  neverReturns?: number;
  refuse?: number;
  wrongImage?: number;
  pinsOldRoot?: number;
}

export const REFUSAL_REASON = "simulated refusal";

const rateKeys: Record<Fault, keyof FaultRate> = {
  slow: "slow",
  escalate: "escalate",
  "never-returns": "neverReturns",
  refuse: "refuse",
  "wrong-image": "wrongImage",
  "pins-old-root": "pinsOldRoot",
};

/** Says what is wrong with a rate table, or null when it is usable. */
export function faultRateProblem(rate: FaultRate): string | null {
  let total = 0;
  for (const [key, value] of Object.entries(rate)) {
    if (!Object.values(rateKeys).includes(key as keyof FaultRate)) return `faultRate.${key} is not a fault`;
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) return `faultRate.${key} must be between 0 and 1`;
    total += value;
  }
  return total > 1 ? `faultRate adds up to ${total}, more than 1` : null;
}

/** The fault a node starts with under a seeded rate: one draw per node, so it depends on the seed and index only. */
export function assignFault(seed: Seed, index: number, rate: FaultRate): Fault | null {
  const draw = seededRandom(seed, "fault", index)();
  let upTo = 0;
  for (const fault of FAULTS) {
    upTo += rate[rateKeys[fault]] ?? 0;
    if (draw < upTo) return fault;
  }
  return null;
}
