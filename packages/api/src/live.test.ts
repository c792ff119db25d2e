import { notifyChange } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/stack/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionIdOf } from "./auth/session";
import { createContext } from "./context";
import { ChangeFeed } from "./live";
import { createCaller } from "./root";
import { apiClient, signedInUser } from "./testing/http";

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

  describe("end with their session, at once", () => {
    async function openStream(cookie: string) {
      const ctx = await createContext({ db: t.db, cookieHeader: cookie, meta, changeFeed: feed });
      const stream = (await createCaller(ctx).live.changes()) as AsyncIterable<unknown>;
      const iterator = stream[Symbol.asyncIterator]();
      const next = iterator.next();
      await new Promise((r) => setTimeout(r, 200));
      return { next, iterator };
    }
    const endsWithin = (next: Promise<IteratorResult<unknown>>, ms: number) =>
      Promise.race([next, new Promise((r) => setTimeout(() => r("still open"), ms))]);

    it("when the user logs out", async () => {
      const { cookie } = await signedInUser(t.db, "viewer");
      const { next } = await openStream(cookie);
      await apiClient(t.db).call("auth.logout", undefined, { cookie });
      expect(await endsWithin(next, 3_000)).toEqual({ done: true, value: undefined });
    });

    it("when an admin disables the user (or the CLI resets the password)", async () => {
      const { user, cookie } = await signedInUser(t.db, "viewer");
      const admin = await signedInUser(t.db, "admin");
      const { next } = await openStream(cookie);
      const result = await apiClient(t.db).call(
        "users.setDisabled",
        { userId: user.id, disabled: true },
        { cookie: admin.cookie },
      );
      expect(result.error).toBeUndefined();
      expect(await endsWithin(next, 3_000)).toEqual({ done: true, value: undefined });
    });

    it("when it reaches its end of life", async () => {
      const { cookie } = await signedInUser(t.db, "viewer");
      const token = cookie.split("=")[1]!;
      // 1.5 s short of the 30-day absolute lifetime: no use can slide it past that.
      const createdAt = new Date(Date.now() - 30 * 86_400_000 + 1_500);
      await t.db.session.update({ where: { id: sessionIdOf(token) }, data: { createdAt } });
      const { next } = await openStream(cookie);
      expect(await endsWithin(next, 5_000)).toEqual({ done: true, value: undefined });
    });

    it("but not when another user's session ends", async () => {
      const { cookie } = await signedInUser(t.db, "viewer");
      const other = await signedInUser(t.db, "viewer");
      const { next, iterator } = await openStream(cookie);
      await apiClient(t.db).call("auth.logout", undefined, { cookie: other.cookie });
      expect(await endsWithin(next, 1_000)).toBe("still open");
      await t.db.$transaction((tx) => notifyChange(tx, { entity: "node", id: "node-2", what: "online" }));
      expect(await next).toEqual({ done: false, value: { entity: "node", id: "node-2", what: "online" } });
      await iterator.return?.(undefined);
    });
  });
});
