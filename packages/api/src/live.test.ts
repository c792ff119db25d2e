import { notifyChange } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionIdOf } from "./auth/session";
import { createContext } from "./context";
import type { FleetMessage } from "./fleet-view";
import { ChangeFeed } from "./live/feed";
import { liveStream, StalledReader } from "./live/stream";
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
let n = 0;
const node = (data: { hostname?: string; status?: "online" | "offline" } = {}) => {
  n++;
  return t.db.node.create({
    data: { machineId: `live${n}`.padStart(32, "0"), hostname: `live-${String(n).padStart(3, "0")}`, ...data },
  });
};

/** A browser's calls; aborting `signal` is its going away (a stream waiting for changes ends only so). */
async function caller(signal: AbortSignal) {
  const { cookie } = await signedInUser(t.db, "viewer");
  return createCaller(await createContext({ db: t.db, cookieHeader: cookie, meta, changeFeed: feed }), { signal });
}
const iterate = <T>(stream: unknown) => (stream as AsyncIterable<T>)[Symbol.asyncIterator]();
const within = <T>(next: Promise<T>, ms: number) =>
  Promise.race([next, new Promise<"nothing">((r) => setTimeout(() => r("nothing"), ms))]);

describe("a node page's stream", () => {
  it("starts with the node, then carries that node's changes and nothing about another node", async () => {
    const a = await node({ status: "online" });
    const b = await node({ status: "online" });
    const gone = new AbortController();
    const live = iterate<{ node?: { id: string; status: string } | null; events: boolean; commands: boolean }>(
      await (await caller(gone.signal)).live.node({ id: a.id }),
    );
    expect((await live.next()).value).toMatchObject({ node: { id: a.id, status: "online" } });
    const next = live.next();
    // Another node changes: nothing reaches this page.
    await t.db.node.update({ where: { id: b.id }, data: { status: "offline" } });
    await t.db.$transaction((tx) => notifyChange(tx, { entity: "node", id: b.id, what: "offline", status: "offline" }));
    await t.db.$transaction((tx) =>
      notifyChange(tx, { entity: "node-event", nodeId: b.id, id: "e1", type: "x", at: new Date().toISOString() }),
    );
    expect(await within(next, 500)).toBe("nothing");
    // This node changes: the page gets the node itself, as it is now.
    await t.db.node.update({ where: { id: a.id }, data: { status: "rebooting" } });
    await t.db.$transaction((tx) => notifyChange(tx, { entity: "node", id: a.id, what: "state", status: "rebooting" }));
    expect((await next).value).toEqual({
      node: expect.objectContaining({ id: a.id, status: "rebooting" }),
      events: false,
      commands: false,
    });
    gone.abort();
    expect(await live.next()).toEqual({ done: true, value: undefined });
  });
});

describe("the fleet page's stream", () => {
  it("sends the page first, then only the changed rows and counts, a burst as one message", async () => {
    const rows = [await node({ status: "online" }), await node({ status: "online" }), await node({ status: "online" })];
    const query = { q: rows[0]!.hostname.slice(0, -1), pageSize: 25 as const };
    const gone = new AbortController();
    const live = iterate<FleetMessage>(await (await caller(gone.signal)).live.fleet(query));
    const first = (await live.next()).value as FleetMessage;
    expect(first.kind).toBe("snapshot");
    if (first.kind !== "snapshot") return;
    expect(first.page.rows.map((r) => r.id)).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
    const onlineBefore = first.page.counts.online;

    // Two nodes change in one transaction (their notifications arrive together): one message, with those rows.
    await t.db.node.update({ where: { id: rows[1]!.id }, data: { status: "rebooting" } });
    await t.db.node.update({ where: { id: rows[2]!.id }, data: { imageVersion: "7" } });
    await t.db.$transaction(async (tx) => {
      await notifyChange(tx, { entity: "node", id: rows[1]!.id, what: "state", status: "rebooting" });
      await notifyChange(tx, { entity: "node", id: rows[2]!.id, what: "state" });
    });
    const delta = (await live.next()).value as FleetMessage;
    expect(delta).toMatchObject({ kind: "delta", delta: { order: null } });
    if (delta.kind === "delta") {
      expect(delta.delta.rows).toEqual([
        expect.objectContaining({ id: rows[1]!.id, status: "rebooting" }),
        expect.objectContaining({ id: rows[2]!.id, imageVersion: "7" }),
      ]);
      expect(delta.delta.counts).toMatchObject({ online: onlineBefore - 1 });
    }
    const next = live.next();
    // A reboot record of a node not on this page changes nothing this page shows.
    const other = await node({ hostname: "elsewhere-1", status: "online" });
    await t.db.$transaction((tx) =>
      notifyChange(tx, { entity: "node-event", nodeId: other.id, id: "e2", type: "x", at: new Date().toISOString() }),
    );
    expect(await within(next, 500)).toBe("nothing");
    gone.abort();
    expect(await live.next()).toEqual({ done: true, value: undefined });
  });
});

describe("a reader that does not read", () => {
  it("is dropped after the stall time, holding nothing, and its stream ends with the reason", async () => {
    const before = feed.subscribers;
    const controller = new AbortController();
    let computed = 0;
    // A topic that would keep every change: the stream must not, for a reader that stopped reading.
    const stream = liveStream(
      feed,
      {
        empty: () => ({ count: 0 }),
        collect: (p: { count: number }) => void p.count++,
        dirty: (p) => p.count > 0,
        compute: async () => ++computed,
      },
      { signal: controller.signal, intervalMs: 10, stallMs: 300 },
    );
    expect((await stream.next()).value).toBe(1);
    expect(feed.subscribers).toBe(before + 1);
    // It asks for one more message, takes it, and then asks for none while changes keep coming.
    const pending = stream.next();
    for (let i = 0; i < 8; i++) {
      await t.db.$transaction((tx) => notifyChange(tx, { entity: "rollout", id: `r${i}`, status: "running" }));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await pending).toEqual({ done: false, value: 2 });
    // Past 300 ms without a request for more while changes came, the stream let go of the feed.
    expect(feed.subscribers).toBe(before);
    await expect(stream.next()).rejects.toBeInstanceOf(StalledReader);
    controller.abort();
  });
});

describe("live streams", () => {
  it("are refused without a session", async () => {
    const ctx = await createContext({ db: t.db, cookieHeader: null, meta, changeFeed: feed });
    await expect(async () => {
      const stream = (await createCaller(ctx).live.fleet({})) as AsyncIterable<unknown>;
      for await (const _ of stream) break;
    }).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  describe("end with their session, at once", () => {
    async function openStream(cookie: string) {
      const ctx = await createContext({ db: t.db, cookieHeader: cookie, meta, changeFeed: feed });
      const iterator = iterate<unknown>(await createCaller(ctx).live.node({ id: "node-2" }));
      await iterator.next(); // the page's first state
      const next = iterator.next();
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
      expect(await next).toEqual({ done: false, value: { node: null, events: false, commands: false } });
      await iterator.return?.(undefined);
    });
  });
});
