import { describe, expect, it } from "vitest";
import { fdStoreOutcome } from "./payloads";

describe("fdStoreOutcome", () => {
  const store = (before: number | null, after: number, preserve = "yes") => ({ max: 8, preserve, before, after });
  it("calls a store that still holds its fds kept", () => {
    expect(fdStoreOutcome(store(3, 3))).toBe("kept");
  });
  it("warns of a store emptied although it was to be preserved, and explains one that was not", () => {
    expect(fdStoreOutcome(store(3, 0))).toBe("emptied");
    expect(fdStoreOutcome(store(3, 1))).toBe("emptied");
    expect(fdStoreOutcome(store(3, 0, "restart"))).toBe("not-preserved");
  });
  it("says when there was nothing to keep, or nothing is known", () => {
    expect(fdStoreOutcome(store(0, 0))).toBe("empty");
    expect(fdStoreOutcome(store(null, 3))).toBe("unknown");
  });
});
