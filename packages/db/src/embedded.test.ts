import { lstat, mkdir, mkdtemp, readlink, rm, stat } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "./config";
import { makeScratchDir, startEmbeddedPostgres } from "./embedded";

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function query(url: string, sql: string) {
  const client = new pg.Client(parseDatabaseUrl(url));
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("the embedded PostgreSQL", () => {
  it("keeps its data across a stop and start, and reuses a server left running", async () => {
    const folder = await makeScratchDir("softfleet-embedded-");
    folders.push(folder);
    const first = await startEmbeddedPostgres({ dataDir: join(folder, "postgres"), port: 0, ephemeral: true });
    await query(first.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
    const again = await startEmbeddedPostgres({ dataDir: join(folder, "postgres"), port: 0 });
    expect(again.startedHere).toBe(false);
    expect(again.port).toBe(first.port);
    await first.stop();
    const restarted = await startEmbeddedPostgres({ dataDir: join(folder, "postgres"), port: 0, ephemeral: true });
    expect(restarted.startedHere).toBe(true);
    expect(await query(restarted.url, "SELECT v FROM kept")).toEqual([{ v: "still here" }]);
    await restarted.stop();
  }, 60_000);

  it.runIf(userInfo().uid === 0)(
    "as root, under a folder others cannot enter, runs as `postgres` from a reachable copy",
    async () => {
      const closed = await mkdtemp(join(tmpdir(), "softfleet-private-"));
      folders.push(closed);
      await mkdir(join(closed, "checkout/.data"), { recursive: true });
      expect((await stat(closed)).mode & 0o777).toBe(0o700);
      const requested = join(closed, "checkout/.data/postgres");
      const server = await startEmbeddedPostgres({ dataDir: requested, port: 0, ephemeral: true });
      try {
        expect((await lstat(requested)).isSymbolicLink()).toBe(true);
        expect(await readlink(requested)).toMatch(/^\/var\/lib\/softfleet\/data-[0-9a-f]{12}\/postgres$/);
        expect(await query(server.url, "SELECT current_setting('data_directory') AS dir")).toEqual([
          { dir: server.dataDir },
        ]);
      } finally {
        await server.stop();
        await rm(join(server.dataDir, ".."), { recursive: true, force: true });
      }
    },
    60_000,
  );
});
