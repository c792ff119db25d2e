import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyFleetDelta, fleetDelta, fleetQuery, fleetQueryFromSearch, fleetQueryToSearch } from "./fleet-view";
import { collectFleetChange, emptyFleetPending, type FleetPending, fleetImpact } from "./live/fleet-topic";
import { apiClient, signedInUser } from "./testing/http";

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let viewer: string;
let groupId: string;

/** 30 nodes: host-01..host-30; every third offline, every fifth rebooting, 29 and 30 revoked; image 1 or 2. */
beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  viewer = (await signedInUser(t.db, "viewer")).cookie;
  for (let i = 1; i <= 30; i++) {
    const name = String(i).padStart(2, "0");
    await t.db.node.create({
      data: {
        machineId: name.padStart(32, "f"),
        hostname: `host-${name}`,
        status: i % 5 === 0 ? "rebooting" : i % 3 === 0 ? "offline" : "online",
        imageVersion: i <= 20 ? "1" : "2",
        nextrootStaged: i <= 4,
        nextrootImageVersion: i <= 4 ? "2" : null,
        softRebootsCount: i,
        labels: { rack: i % 2 === 0 ? "a" : "b" },
        revokedAt: i >= 29 ? new Date() : null,
      },
    });
  }
  const members = await t.db.node.findMany({ where: { hostname: { in: ["host-01", "host-02", "host-07"] } } });
  const group = await t.db.nodeGroup.create({
    data: { name: "edge", members: { create: members.map((m) => ({ nodeId: m.id })) } },
  });
  groupId = group.id;
  const one = members.find((m) => m.hostname === "host-01")!;
  await t.db.rebootRecord.create({
    data: {
      nodeId: one.id,
      eventId: "rec-fleet-1",
      kind: "soft-reboot",
      requested: "soft-reboot",
      escalated: false,
      beforeLost: false,
      trigger: "manual",
      units: [],
      bootIdBefore: "a".repeat(32),
      bootIdAfter: "b".repeat(32),
      shutdownStartUsec: 1_000_000n,
      userspaceUsec: 1_400_000n,
      finishUsec: 1_900_000n,
      agentConnectedUsec: 2_250_000n,
    },
  });
});
afterAll(() => t.drop());

const page = async (input: Record<string, unknown>) => {
  const result = await api.call("nodes.page", input, { cookie: viewer });
  if (result.error) throw new Error(result.error.message);
  return result.data as { rows: Array<Record<string, unknown>>; counts: Record<string, unknown> };
};
const hosts = (rows: Array<Record<string, unknown>>) => rows.map((r) => r.hostname);

describe("the fleet page, filtered, sorted and paged in the database", () => {
  it("gives one page of rows in hostname order, with the fleet's counts", async () => {
    const { rows, counts } = await page({ pageSize: 25 });
    expect(rows).toHaveLength(25);
    expect(hosts(rows).slice(0, 3)).toEqual(["host-01", "host-02", "host-03"]);
    const second = await page({ pageSize: 25, page: 2 });
    expect(hosts(second.rows)).toEqual(["host-26", "host-27", "host-28", "host-29", "host-30"]);
    // 1..28 not revoked: rebooting 5,10,15,20,25 (5); offline 3,6,9,12,18,21,24,27 (8); online 15.
    expect(counts).toMatchObject({
      total: 30,
      online: 15,
      offline: 8,
      rebooting: 5,
      unknown: 0,
      revoked: 2,
      staged: 4,
      matching: 30,
    });
    expect(counts.images).toEqual([
      { version: "1", count: 20 },
      { version: "2", count: 10 },
    ]);
  });

  it("shows what a row needs: its groups, its labels and its last reboot's downtime computed on the server", async () => {
    const { rows } = await page({ q: "host-01" });
    expect(rows).toEqual([
      expect.objectContaining({
        hostname: "host-01",
        status: "online",
        revoked: false,
        groups: [{ id: groupId, name: "edge" }],
        labels: [["rack", "b"]],
        nextrootStaged: true,
        nextrootImageVersion: "2",
        lastReboot: { kind: "soft-reboot", beforeLost: false, phases: { totalMs: 1250 } },
      }),
    ]);
    // Nothing a row does not show: no units, no credential, no machine id.
    expect(Object.keys(rows[0]!)).not.toContain("units");
    expect(Object.keys(rows[0]!)).not.toContain("credentialHash");
    expect(Object.keys(rows[0]!)).not.toContain("machineId");
  });

  it("filters by status ('rebooting now', revoked), group, label, image and hostname, counting the matches", async () => {
    const rebooting = await page({ status: "rebooting" });
    expect(hosts(rebooting.rows)).toEqual(["host-05", "host-10", "host-15", "host-20", "host-25"]);
    expect(rebooting.counts.matching).toBe(5);
    expect(hosts((await page({ status: "revoked" })).rows)).toEqual(["host-29", "host-30"]);
    expect(hosts((await page({ group: groupId })).rows)).toEqual(["host-01", "host-02", "host-07"]);
    const rackA = await page({ label: "rack=a", image: "2" });
    expect(hosts(rackA.rows)).toEqual(["host-22", "host-24", "host-26", "host-28", "host-30"]);
    expect(rackA.counts.matching).toBe(5);
    expect(hosts((await page({ q: "st-1" })).rows)).toHaveLength(10);
    // LIKE's own characters are searched as themselves.
    expect((await page({ q: "%" })).rows).toEqual([]);
  });

  it("sorts by status, image, soft-reboots and last seen, both ways, hostname breaking ties", async () => {
    const byCount = await page({ sort: "softReboots", dir: "desc", pageSize: 25 });
    expect(hosts(byCount.rows).slice(0, 2)).toEqual(["host-30", "host-29"]);
    const byImage = await page({ sort: "image", dir: "desc", pageSize: 25 });
    expect(hosts(byImage.rows).slice(0, 2)).toEqual(["host-21", "host-22"]);
    const byStatus = await page({ sort: "status", pageSize: 25 });
    expect(byStatus.rows[0]).toMatchObject({ hostname: "host-03", status: "offline" });
  });

  it("refuses bad input with what was wrong", async () => {
    const bad = async (input: Record<string, unknown>) =>
      (await api.call("nodes.page", input, { cookie: viewer })).error?.message ?? "accepted";
    expect(await bad({ pageSize: 7 })).toContain("the page size must be 25, 50, 100 or 200");
    expect(await bad({ label: "rack" })).toContain("the label must be key=value");
    expect(await bad({ q: "x".repeat(500) })).toContain("at most 128 characters");
    expect(await bad({ status: "exploded" })).toContain("status");
    expect(await bad({ page: 0 })).toContain("page");
  });

  it("needs a session", async () => {
    const result = await api.call("nodes.page", {});
    expect(result.error?.data.code).toBe("UNAUTHORIZED");
  });
});

describe("the fleet view's URL and deltas", () => {
  it("round-trips a query through the URL, leaving defaults out and dropping what is not valid", () => {
    const query = fleetQuery.parse({ status: "rebooting", label: "rack=a", sort: "image", page: 3 });
    const search = fleetQueryToSearch(query);
    expect(search.toString()).toBe("status=rebooting&label=rack%3Da&sort=image&page=3");
    expect(fleetQueryFromSearch(search)).toEqual({ query, dropped: [] });
    const { query: kept, dropped } = fleetQueryFromSearch(new URLSearchParams("status=bogus&page=2&pageSize=13"));
    expect(kept).toMatchObject({ page: 2, pageSize: 50 });
    expect(kept.status).toBeUndefined();
    expect(dropped).toHaveLength(2);
  });

  it("carries only the rows that changed, the order when it moved and the counts when they did", () => {
    const row = (id: string, status = "online") => ({
      id,
      hostname: id,
      simulated: false,
      revoked: false,
      status: status as "online",
      imageVersion: "1",
      nextrootStaged: false,
      nextrootImageVersion: null,
      softRebootsCount: 0,
      lastSeenAt: null,
      labels: [],
      groups: [],
      lastReboot: null,
    });
    const counts = {
      total: 3,
      online: 3,
      offline: 0,
      rebooting: 0,
      unknown: 0,
      revoked: 0,
      staged: 0,
      matching: 3,
      images: [],
    };
    const before = { rows: [row("a"), row("b"), row("c")], counts };
    expect(fleetDelta(before, before)).toBeNull();
    const after = { rows: [row("a"), row("b", "rebooting"), row("d")], counts: { ...counts, online: 2, rebooting: 1 } };
    const delta = fleetDelta(before, after)!;
    expect(delta.rows.map((r) => r.id)).toEqual(["b", "d"]);
    expect(delta.order).toEqual(["a", "b", "d"]);
    expect(delta.counts?.rebooting).toBe(1);
    expect(applyFleetDelta(before, delta)).toEqual(after);
  });
});

describe("what a fleet page's subscription reads again", () => {
  const pending = (change: Partial<FleetPending>): FleetPending => ({ ...emptyFleetPending(), ...change });
  const onPage = new Set(["a", "b"]);
  const byHostname = fleetQuery.parse({});

  it("its rows only for a change on the page, or in what it filters or sorts by", () => {
    // A reboot record of a node elsewhere: nothing.
    expect(fleetImpact(byHostname, onPage, pending({ ids: new Set(["z"]) }))).toEqual({ rows: false, counts: false });
    // A node elsewhere goes offline: the counts, not the rows (hostname order does not move).
    expect(fleetImpact(byHostname, onPage, pending({ ids: new Set(["z"]), status: true }))).toEqual({
      rows: false,
      counts: true,
    });
    // ...but on a page of rebooting nodes it may enter or leave it.
    const rebooting = fleetQuery.parse({ status: "rebooting" });
    expect(fleetImpact(rebooting, onPage, pending({ ids: new Set(["z"]), status: true })).rows).toBe(true);
    // A node on the page: its row.
    expect(fleetImpact(byHostname, onPage, pending({ ids: new Set(["b"]) })).rows).toBe(true);
    // An enrollment, or more changes than are kept apart: everything.
    expect(fleetImpact(byHostname, onPage, pending({ membership: true }))).toEqual({ rows: true, counts: true });
    expect(fleetImpact(byHostname, onPage, pending({ all: true }))).toEqual({ rows: true, counts: true });
  });

  it("keeps a bounded set of changed nodes, past which it reads the page again", () => {
    const folded = emptyFleetPending();
    for (let i = 0; i < 5_000; i++) collectFleetChange(folded, { entity: "node", id: `n${i}`, what: "state" });
    expect(folded.all).toBe(true);
    expect(folded.ids.size).toBe(0);
  });
});
