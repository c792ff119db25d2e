import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "./client";
import { makeScratchDir, startEmbeddedPostgres } from "./embedded";
import { migrateDeploy, pendingMigrations } from "./migrate";
import { repoRoot } from "./paths";

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe("migrations", () => {
  it("are all pending on an empty database, applied once, then none are pending", async () => {
    const folder = await makeScratchDir("softfleet-migrate-");
    cleanup.push(() => rm(folder, { recursive: true, force: true }));
    const server = await startEmbeddedPostgres({ dataDir: join(folder, "postgres"), port: 0, ephemeral: true });
    cleanup.push(server.stop);
    const all = (await readdir(join(repoRoot(), "prisma/migrations"), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(await pendingMigrations(server.url)).toEqual(all);
    expect(await migrateDeploy(server.url)).toMatch(/applied/);
    expect(await pendingMigrations(server.url)).toEqual([]);
    expect(await migrateDeploy(server.url)).toBe("No pending migrations to apply.");
    const db = createPrismaClient(server.url);
    expect(await db.user.count()).toBe(0);
    await db.$disconnect();
  }, 60_000);
});
