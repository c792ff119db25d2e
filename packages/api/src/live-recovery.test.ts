import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type EmbeddedPostgres, freePort, makeScratchDir, startEmbeddedPostgres } from "@softfleet/db/embedded";
import { CHANGES_CHANNEL } from "@softfleet/fleet";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChangeFeed } from "./live/feed";
import { liveStream } from "./live/stream";

/** A stream that passes each change on as it comes (the pages' streams compute theirs). */
function changes(feed: ChangeFeed) {
  return liveStream(
    feed,
    {
      empty: () => [] as unknown[],
      collect: (pending, change) => void pending.push(change),
      dirty: (pending) => pending.length > 0,
      compute: async (pending) => (pending === "start" ? null : pending[0]),
    },
    { signal: new AbortController().signal, intervalMs: 0 },
  );
}

/**
 * The live feed across a real PostgreSQL restart: a server of this file's own
 * (the shared test server must not restart under the other files).
 */
let dir: string;
let port: number;
let server: EmbeddedPostgres | undefined;
const start = async () => {
  server = await startEmbeddedPostgres({ dataDir: join(dir, "postgres"), port, ephemeral: true });
  return server.url;
};

beforeAll(async () => {
  dir = await makeScratchDir("softfleet-live-");
  port = await freePort();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function notify(url: string, id: string) {
  const client = new pg.Client(url);
  await client.connect();
  await client.query("SELECT pg_notify($1, $2)", [
    CHANGES_CHANNEL,
    JSON.stringify({ entity: "rollout", id, status: "running" }),
  ]);
  await client.end();
}

/** Notifies until the stream yields that change (its LISTEN may still be coming up). */
async function nextChange(url: string, iterator: AsyncIterator<unknown>, id: string) {
  const next = iterator.next();
  for (let i = 0; i < 50; i++) {
    await notify(url, id);
    const result = await Promise.race([next, new Promise((r) => setTimeout(() => r("waiting"), 100))]);
    if (result !== "waiting") return result;
  }
  throw new Error("no change arrived");
}

describe("the live feed and a database restart", () => {
  it("retries after a failed start, ends open streams when the database restarts, and serves new ones", async () => {
    const realUrl = await start();
    await server!.stop();
    // The database is down when the first browser subscribes: that subscription fails...
    const feed = new ChangeFeed(realUrl, () => {});
    await expect(changes(feed).next()).rejects.toThrow();
    // ...and once it is up, later ones on the same feed work (the failed start is not kept).
    await start();
    const before = changes(feed);
    expect(await nextChange(realUrl, before, "r-1")).toEqual({
      done: false,
      value: { entity: "rollout", id: "r-1", status: "running" },
    });

    // A restart: the open stream ends (its browser resubscribes and refetches), it does not hang.
    const ended = before.next();
    await server!.stop();
    expect(await Promise.race([ended, new Promise((r) => setTimeout(() => r("still open"), 10_000))])).toEqual({
      done: true,
      value: undefined,
    });
    await start();
    // A new subscription gets changes again, on the LISTEN the feed re-established.
    const after = changes(feed);
    expect(await nextChange(realUrl, after, "r-2")).toMatchObject({ value: { id: "r-2" } });
    await after.return?.(undefined);
    await feed.close();
  }, 120_000);
});
