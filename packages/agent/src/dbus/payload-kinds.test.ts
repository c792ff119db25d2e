import { describe, expect, it } from "vitest";
import { PayloadKindCache } from "./systemd";

describe("PayloadKindCache", () => {
  const kind = (name: string) => ({ name, survives: true, fdStore: false });

  it("answers for a unit read before at the same path, until it is too old", () => {
    let now = 0;
    const cache = new PayloadKindCache(60_000, () => now);
    cache.set("/u/app", kind("app.service"));
    expect(cache.get("app.service", "/u/app")).toEqual(kind("app.service"));
    // Loaded anew (another object path): read again.
    expect(cache.get("app.service", "/u/app_2")).toBeUndefined();
    now = 60_000;
    expect(cache.get("app.service", "/u/app")).toBeUndefined();
  });

  it("forgets units no longer loaded, and everything on a reload", () => {
    const cache = new PayloadKindCache(60_000, () => 0);
    cache.set("/u/a", kind("a.service"));
    cache.set("/u/b", kind("b.service"));
    cache.keepOnly(new Set(["b.service"]));
    expect(cache.get("a.service", "/u/a")).toBeUndefined();
    expect(cache.get("b.service", "/u/b")).toBeDefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
