import { describe, expect, it } from "vitest";
import { decideSlot, semaphoreFullMessage } from "./semaphore";

const state = { heldByClient: false, holders: 0, rebootingByRollout: 0, maxUnavailable: 1 };

describe("the FleetLock semaphore", () => {
  it("grants while fewer slots are in use than max unavailable, and refuses the one past it", () => {
    expect(decideSlot(state)).toBe("granted");
    expect(decideSlot({ ...state, holders: 1 })).toBe("full");
    expect(decideSlot({ ...state, holders: 2, maxUnavailable: 3 })).toBe("granted");
    expect(decideSlot({ ...state, holders: 3, maxUnavailable: 3 })).toBe("full");
  });

  it("counts the group's nodes a softfleet rollout is rebooting against the same slots", () => {
    expect(decideSlot({ ...state, rebootingByRollout: 1 })).toBe("full");
    expect(decideSlot({ ...state, holders: 1, rebootingByRollout: 1, maxUnavailable: 3 })).toBe("granted");
    expect(semaphoreFullMessage({ ...state, holders: 1, rebootingByRollout: 2, maxUnavailable: 3 })).toBe(
      "semaphore currently full, all slots are locked already (1 FleetLock holder and 2 node(s) rebooting in a softfleet rollout; max unavailable 3)",
    );
  });

  it("lets a client that holds a slot have it again, even when the semaphore is full (recursive locks)", () => {
    expect(decideSlot({ ...state, heldByClient: true, holders: 5, maxUnavailable: 1 })).toBe("already-held");
  });
});
