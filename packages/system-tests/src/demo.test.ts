import { rm } from "node:fs/promises";
import { makeScratchDir } from "@softfleet/db/embedded";
import { demoLoginLine, ensureDemoAdmin } from "@softfleet/launcher";
import { createTestDatabase } from "@softfleet/testkit";
import { afterAll, describe, expect, it } from "vitest";

describe("the demo admin", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const done of cleanup) await done();
  });

  it("has its password printed when it is created, and never again", async () => {
    const t = await createTestDatabase();
    const dir = await makeScratchDir("softfleet-demo-");
    cleanup.push(
      () => t.drop(),
      () => rm(dir, { recursive: true, force: true }),
    );
    const first = await ensureDemoAdmin(t.db, dir);
    if (first.state !== "ready") throw new Error(`no demo admin: ${first.state}`);
    expect(demoLoginLine(first, dir)).toContain(first.credentials.password);
    const later = await ensureDemoAdmin(t.db, dir);
    if (later.state !== "ready") throw new Error(`no demo admin: ${later.state}`);
    expect(later.created).toBe(false);
    const line = demoLoginLine(later, dir);
    expect(line).not.toContain(first.credentials.password);
    expect(line).toContain("demo-credentials.json");
  });
});
