import { notifyChange } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "./context";
import { ChangeFeed } from "./live";
import { createCaller } from "./root";
import { signedInUser } from "./testing/http";

let t: TestDatabase;
let feed: ChangeFeed;

beforeAll(async () => {
  t = await createTestDatabase();
  feed = new ChangeFeed(t.url);
});
afterAll(async () => {
  await feed.close();
  await t.drop();
});

const meta = { sourceIp: null, userAgent: null, secure: false, setCookie: () => {} };

describe("live changes", () => {
  it("reach a signed-in subscriber from a NOTIFY sent by any connection, on commit", async () => {
    const { cookie } = await signedInUser(t.db, "viewer");
    const ctx = await createContext({ db: t.db, cookieHeader: cookie, meta, changeFeed: feed });
    const stream = (await createCaller(ctx).live.changes()) as AsyncIterable<unknown>;
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    // The LISTEN connection is set up by the first subscriber; give it a moment.
    await new Promise((r) => setTimeout(r, 200));
    await t.db.$transaction(async (tx) => {
      await notifyChange(tx, { entity: "node", id: "node-1", what: "online" });
    });
    expect((await first).value).toEqual({ entity: "node", id: "node-1", what: "online" });
    await iterator.return?.();
  });

  it("are refused without a session", async () => {
    const ctx = await createContext({ db: t.db, cookieHeader: null, meta, changeFeed: feed });
    await expect(async () => {
      const stream = (await createCaller(ctx).live.changes()) as AsyncIterable<unknown>;
      for await (const _ of stream) break;
    }).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
