import type { RouterOutputs } from "@softfleet/api";
import { ensurePartitionsFor } from "@softfleet/fleet";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, signedInUser } from "./testing/http";

type RolloutReport = RouterOutputs["reports"]["rollout"];
type FleetReport = RouterOutputs["reports"]["fleet"];

let t: TestDatabase;
let api: ReturnType<typeof apiClient>;
let viewer: string;

beforeAll(async () => {
  t = await createTestDatabase();
  api = apiClient(t.db);
  viewer = (await signedInUser(t.db, "viewer")).cookie;
});
afterAll(() => t.drop());

const unique = () => Math.random().toString(36).slice(2, 10);
const node = (hostname: string, labels: Record<string, string> = {}) =>
  t.db.node.create({
    data: { machineId: unique().padEnd(32, "0"), hostname, labels, simulated: hostname.includes("-sim") },
  });

interface Phases {
  /** ms from the signal to ShutdownStart, ShutdownStart to Userspace, Userspace to Finish, Finish to the agent. */
  ms: [number | null, number | null, number | null, number];
  kind?: "soft-reboot" | "full-reboot";
  requested?: string | null;
  units?: unknown[];
  blame?: unknown;
  pinnedRoot?: unknown;
  clientGaps?: unknown;
}

/** A reboot record whose phases are the given ms, starting at 1 s on the node's clock (null: unknown point). */
async function record(nodeId: string, phases: Phases, extra: Record<string, unknown> = {}) {
  const [signal, shutdown, boot, reconnect] = phases.ms;
  let at = 1_000_000n;
  const point = (ms: number | null) => {
    if (ms === null) return null;
    at += BigInt(ms * 1000);
    return at;
  };
  const signalUsec = signal === null ? null : at;
  const shutdownStartUsec = signal === null ? null : point(signal);
  const userspaceUsec = shutdown === null ? (boot === null ? null : 2_000_000n) : point(shutdown);
  if (shutdown === null) at = userspaceUsec ?? at;
  const finishUsec = boot === null ? null : point(boot);
  const agentConnectedUsec = point(reconnect)!;
  const kind = phases.kind ?? "soft-reboot";
  return t.db.rebootRecord.create({
    data: {
      nodeId,
      eventId: `ev-${unique()}`,
      kind,
      requested: phases.requested === undefined ? kind : phases.requested,
      escalated: kind === "full-reboot" && phases.requested === "soft-reboot",
      beforeLost: false,
      trigger: "rollout",
      bootIdAfter: "b",
      imageVersionBefore: "1",
      imageVersionAfter: "2",
      signalUsec,
      shutdownStartUsec,
      userspaceUsec,
      finishUsec,
      agentConnectedUsec,
      units: (phases.units ?? []) as never,
      ...(phases.blame === undefined ? {} : { blame: phases.blame as never }),
      ...(phases.pinnedRoot === undefined ? {} : { pinnedRoot: phases.pinnedRoot as never }),
      ...(phases.clientGaps === undefined ? {} : { clientGaps: phases.clientGaps as never }),
      ...extra,
    },
  });
}

const blame = (stop: Array<[string, number]>, start: Array<[string, number]>) => ({
  stopped: stop.length,
  started: start.length,
  stop: stop.map(([name, ms]) => ({ name, ms })),
  start: start.map(([name, ms]) => ({ name, ms })),
});

const restarted = (name: string, gapMs: number) => ({
  name,
  outcome: "restarted",
  invocationIdBefore: "a",
  invocationIdAfter: "b",
  inactiveEnterUsec: "1000000",
  activeEnterUsec: String(1_000_000 + gapMs * 1000),
});
const survived = (name: string) => ({
  name,
  outcome: "survived",
  invocationIdBefore: "a",
  invocationIdAfter: "a",
  inactiveEnterUsec: null,
  activeEnterUsec: null,
});
/** A unit configured to survive (SurviveFinalKillSignal=yes), and what became of it. */
const payload = (unit: { name: string; outcome: string }) => ({ ...unit, survives: true });
/** What the prober on a node saw of one payload through the reboot. */
const clientGap = (name: string, longestGapMs: number, failedProbes: number) => ({
  name,
  target: `http://127.0.0.1/${name}`,
  longestGapMs,
  failedProbes,
  open: false,
});
/** What the agent's scan found after a soft-reboot into a new root. */
const pinnedBy = (pssKb: number, units: string[]) => ({
  devices: ["0:40"],
  pssKb,
  processes: units.map((unit, i) => ({ pid: 100 + i, comm: "node", unit, refs: ["exe"], files: [], pssKb })),
  scannedProcesses: 40,
  scanMs: 5,
});

async function call<T>(path: string, input: unknown): Promise<T> {
  const result = await api.call(path, input, { cookie: viewer });
  expect(result.error, path).toBeUndefined();
  return result.data as T;
}

describe("the rollout report", () => {
  let rolloutId: string;
  const host = (name: string) => `${name}-${unique()}`;
  const hosts: Record<string, string> = {};

  beforeAll(async () => {
    const rollout = await t.db.rollout.create({
      data: {
        groupName: "web",
        status: "completed",
        plan: {},
        createdByName: "tester",
        batches: {
          create: [
            { index: 0, kind: "canary", status: "done" },
            { index: 1, kind: "batch", status: "done" },
            { index: 2, kind: "batch", status: "done" },
          ],
        },
      },
    });
    rolloutId = rollout.id;
    // name, batch, status, reason, record
    const plan: Array<[string, number, string, string | null, Phases | null]> = [
      [
        "n1",
        0,
        "succeeded",
        null,
        {
          ms: [10, 100, 200, 40],
          units: [survived("db.service"), restarted("web.service", 250), payload(survived("cache.service"))],
          pinnedRoot: pinnedBy(0, []),
          clientGaps: [clientGap("cache", 12, 0), clientGap("web", 400, 38)],
          blame: blame(
            [
              ["web.service", 900],
              ["dbus.service", 20],
            ],
            [["web.service", 150]],
          ),
        },
      ],
      [
        "n2",
        1,
        "succeeded",
        null,
        {
          ms: [20, 200, 300, 80],
          units: [survived("db.service"), restarted("web.service", 500), payload(survived("cache.service"))],
          pinnedRoot: pinnedBy(60 * 1024, ["bad-survivor.service"]),
          clientGaps: [clientGap("cache", 20, 0), clientGap("web", 600, 55), { name: "bad", longestGapMs: "x" }],
          blame: blame(
            [
              ["web.service", 1100],
              ["dbus.service", 10],
              ["cron.service", 5],
            ],
            [["web.service", 250]],
          ),
        },
      ],
      [
        "n3",
        1,
        "succeeded",
        null,
        // A stored blame of the wrong shape is skipped, not an error.
        {
          ms: [30, 300, 400, 120],
          units: [restarted("db.service", 100), payload(restarted("cache.service", 80))],
          blame: { stop: "nonsense", start: [{}] },
          // A stored scan of the wrong shape is skipped too.
          pinnedRoot: { pssKb: "lots", processes: 3 },
        },
      ],
      ["n4", 1, "failed", "node is offline", null],
      ["n5-sim", 2, "succeeded", null, { ms: [null, null, 900, 100], kind: "full-reboot", requested: "soft-reboot" }],
      ["n6", 2, "skipped", "outside the window", null],
      ["n7", 2, "succeeded", null, { ms: [null, null, 100, 10] }],
    ];
    let position = 0;
    for (const [name, batchIndex, status, reason, phases] of plan) {
      hosts[name] = host(name);
      const n = await node(hosts[name]!);
      const commandId = phases ? `cmd-${unique()}` : null;
      await t.db.rolloutNode.create({
        data: {
          rolloutId,
          nodeId: n.id,
          position: position++,
          batchIndex,
          hostname: n.hostname,
          status,
          reason,
          commandId,
          active: false,
        },
      });
      if (phases) await record(n.id, phases, { commandId });
    }
  });

  it("gives p50 / p95 / max per phase for soft-reboots, full reboots apart", async () => {
    const report = await call<RolloutReport>("reports.rollout", { id: rolloutId });
    const whole = (type: string) => report.stats.find((s) => s.batchIndex === null && s.rebootType === type)!;
    const soft = whole("soft-reboot");
    expect(soft.reboots).toBe(4);
    // Totals 350, 600, 850 (n7 has none): p95 interpolates 600 + 0.9 * 250.
    expect(soft.phases.totalMs).toEqual({ n: 3, p50: 600, p95: expect.closeTo(825, 6), max: 850 });
    expect(soft.phases.signalToShutdownMs).toEqual({ n: 3, p50: 20, p95: expect.closeTo(29, 6), max: 30 });
    // Boot: 100, 200, 300, 400: p50 250, p95 at rank 2.85.
    expect(soft.phases.bootMs).toEqual({ n: 4, p50: 250, p95: expect.closeTo(385, 6), max: 400 });
    const full = whole("full-reboot");
    expect(full.reboots).toBe(1);
    expect(full.phases.totalMs).toEqual({ n: 1, p50: 1000, p95: 1000, max: 1000 });
    expect(full.phases.signalToShutdownMs).toEqual({ n: 0, p50: null, p95: null, max: null });
    expect(full.phases.shutdownMs.n).toBe(0);

    const batch1 = report.stats.find((s) => s.batchIndex === 1 && s.rebootType === "soft-reboot")!;
    expect(batch1.phases.totalMs).toEqual({ n: 2, p50: 725, p95: expect.closeTo(837.5, 6), max: 850 });
    expect(report.stats.filter((s) => s.batchIndex === 0).map((s) => s.phases.totalMs.max)).toEqual([350]);
  });

  it("lists nodes by total, says why one has none, and marks simulated ones", async () => {
    const report = await call<RolloutReport>("reports.rollout", { id: rolloutId });
    expect(report.nodes.map((n) => [n.hostname, n.totalMs])).toEqual([
      [hosts["n5-sim"], 1000],
      [hosts.n3, 850],
      [hosts.n2, 600],
      [hosts.n1, 350],
      [hosts.n4, null],
      [hosts.n6, null],
      [hosts.n7, null],
    ]);
    const byName = (name: string) => report.nodes.find((n) => n.hostname === hosts[name])!;
    expect(byName("n5-sim")).toMatchObject({
      simulated: true,
      rebootType: "full-reboot",
      escalated: true,
      signalToShutdownMs: null,
      shutdownMs: null,
      bootMs: 900,
      missingTotal: null,
    });
    expect(byName("n1")).toMatchObject({ signalToShutdownMs: 10, shutdownMs: 100, bootMs: 200, reconnectMs: 40 });
    expect(byName("n4").missingTotal).toBe("No reboot record: the node failed: node is offline");
    expect(byName("n6").missingTotal).toBe("Not rebooted: skipped: outside the window");
    expect(byName("n7").missingTotal).toMatch(/did not report enough timestamps/);
    expect(report.statuses).toEqual([
      { status: "failed", reason: "node is offline", nodes: 1 },
      { status: "skipped", reason: "outside the window", nodes: 1 },
      { status: "succeeded", reason: null, nodes: 5 },
    ]);
    expect(report.imageVersions).toEqual([{ imageVersionBefore: "1", imageVersionAfter: "2", nodes: 5 }]);
    expect(report.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(4);
  });

  it("tells which services survived where, and the gap of restarts", async () => {
    const report = await call<RolloutReport>("reports.rollout", { id: rolloutId });
    expect(report.services).toEqual([
      expect.objectContaining({ name: "cache.service", survived: 2, restarted: 1, gapMaxMs: 80 }),
      expect.objectContaining({
        name: "db.service",
        survived: 2,
        restarted: 1,
        gapN: 1,
        gapP50Ms: 100,
        survivedOn: [hosts.n1, hosts.n2].sort(),
        restartedOn: [hosts.n3],
      }),
      expect.objectContaining({ name: "web.service", survived: 0, restarted: 2, gapP50Ms: 375, gapMaxMs: 500 }),
    ]);
  });

  it("names the units slowest to stop and to start across the rollout, from the records' unit blame", async () => {
    const report = await call<RolloutReport>("reports.rollout", { id: rolloutId });
    expect(report.slowUnits).toEqual({
      stop: [
        { name: "web.service", reboots: 2, p50Ms: 1000, maxMs: 1100 },
        { name: "dbus.service", reboots: 2, p50Ms: 15, maxMs: 20 },
        { name: "cron.service", reboots: 1, p50Ms: 5, maxMs: 5 },
      ],
      start: [{ name: "web.service", reboots: 2, p50Ms: 200, maxMs: 250 }],
    });
  });

  it("counts the surviving payloads kept running and the nodes whose old root was held, with its size", async () => {
    const report = await call<RolloutReport>("reports.rollout", { id: rolloutId });
    expect(report.payloads).toMatchObject({
      survivorsTotal: 3,
      survivorsKept: 2,
      scannedNodes: 2,
      pinnedNodes: 1,
      pinnedMaxKb: 60 * 1024,
      units: [{ name: "cache.service", total: 3, kept: 2 }],
    });
    // What clients saw, per probed payload across the rollout's reboots (a malformed entry is skipped).
    expect(report.payloads.clientGaps).toEqual([
      { name: "web", reboots: 2, failedProbes: 93, p50Ms: 500, p95Ms: 590, maxMs: 600 },
      { name: "cache", reboots: 2, failedProbes: 0, p50Ms: 16, p95Ms: 19.6, maxMs: 20 },
    ]);
    expect(report.payloads.pinned).toEqual([
      expect.objectContaining({ hostname: hosts.n2, pssKb: 60 * 1024, by: ["bad-survivor.service"] }),
    ]);
  });

  it("is NOT_FOUND for an unknown rollout", async () => {
    const result = await api.call("reports.rollout", { id: "no-such-rollout" }, { cookie: viewer });
    expect(result.error?.data.code).toBe("NOT_FOUND");
  });
});

describe("the fleet report", () => {
  const jan = (day: number, hour = 12) => new Date(Date.UTC(2025, 0, day, hour));
  const range = { from: jan(1, 0), to: new Date(Date.UTC(2025, 1, 1)) };
  const ids: Record<string, string> = {};
  const names: Record<string, string> = {};

  beforeAll(async () => {
    // History from December 2024 and January 2025: its months are made as an import's would be.
    await ensurePartitionsFor(t.db, new Date(Date.UTC(2024, 11, 1)), new Date(Date.UTC(2025, 0, 1)));
    const suffix = unique();
    const a1 = await node(`a1-${suffix}`);
    const a2 = await node(`a2-${suffix}`);
    const b1 = await node(`b1-${suffix}`, { zone: `b-${suffix}` });
    Object.assign(names, { a1: a1.hostname, a2: a2.hostname, b1: b1.hostname });
    ids.a1 = a1.id;
    const groupA = await t.db.nodeGroup.create({
      data: { name: `a-${suffix}`, members: { create: [{ nodeId: a1.id }, { nodeId: a2.id }] } },
    });
    const groupB = await t.db.nodeGroup.create({
      data: { name: `b-${suffix}`, labelSelector: { zone: `b-${suffix}` } },
    });
    Object.assign(ids, { groupA: groupA.id, groupB: groupB.id });
    const soft = (total: number) => ({ ms: [0, total / 2, total / 4, total / 4] as Phases["ms"] });
    await record(a1.id, soft(100), { recordedAt: jan(2), imageVersionAfter: "2", trigger: "manual" });
    await record(
      a1.id,
      {
        ...soft(300),
        units: [payload(survived("cache.service"))],
        pinnedRoot: pinnedBy(40 * 1024, ["old.service"]),
        clientGaps: [clientGap("container", 30, 0)],
      },
      { recordedAt: jan(10), imageVersionAfter: "3" },
    );
    await record(
      a2.id,
      {
        ...soft(200),
        units: [payload(restarted("cache.service", 50))],
        pinnedRoot: pinnedBy(0, []),
        clientGaps: [clientGap("container", 50, 0)],
      },
      { recordedAt: jan(3), imageVersionAfter: "2" },
    );
    await record(
      b1.id,
      { ...soft(500), units: [restarted("slow.service", 400), restarted("fast.service", 5)] },
      {
        recordedAt: jan(11),
        imageVersionAfter: "3",
      },
    );
    await record(
      b1.id,
      { ms: [null, null, 1500, 500], kind: "full-reboot", requested: "soft-reboot" },
      {
        recordedAt: jan(12),
        imageVersionAfter: "3",
        trigger: "external",
      },
    );
    await record(
      b1.id,
      { ms: [null, null, 1000, 500], kind: "full-reboot", requested: "kexec" },
      {
        recordedAt: jan(13),
        imageVersionAfter: "3",
      },
    );
    // Out of the range: never counted.
    await record(a1.id, soft(99_999), { recordedAt: new Date(Date.UTC(2024, 11, 31)) });
  });

  it("compares soft-reboots, full reboots and kexec side by side, and flags escalations", async () => {
    const report = await call<FleetReport>("reports.fleet", range);
    const byType = Object.fromEntries(report.byType.map((s) => [s.rebootType, s]));
    expect(Object.keys(byType).sort()).toEqual(["full-reboot", "kexec", "soft-reboot"]);
    // 100, 200, 300, 500: p50 250; p95 at rank 2.85 = 300 + 0.85 * 200.
    expect(byType["soft-reboot"]!.phases.totalMs).toEqual({ n: 4, p50: 250, p95: expect.closeTo(470, 6), max: 500 });
    expect(byType["soft-reboot"]!.escalated).toBe(0);
    expect(byType["full-reboot"]).toMatchObject({ reboots: 1, escalated: 1 });
    expect(byType["full-reboot"]!.phases.totalMs.max).toBe(2000);
    expect(byType["full-reboot"]!.phases.shutdownMs.n).toBe(0);
    expect(byType.kexec!.phases.totalMs.max).toBe(1500);
    expect(report.escalations.map((e) => [e.hostname, e.requested, e.kind, e.trigger])).toEqual([
      [names.b1, "soft-reboot", "full-reboot", "external"],
    ]);
  });

  it("groups by image version and by group (static members and label selectors)", async () => {
    const report = await call<FleetReport>("reports.fleet", range);
    const image = (version: string, type: string) =>
      report.byImageVersion.find((s) => s.imageVersion === version && s.rebootType === type)!;
    expect(image("2", "soft-reboot").total).toEqual({ n: 2, p50: 150, p95: expect.closeTo(195, 6), max: 200 });
    expect(image("3", "soft-reboot").total).toEqual({ n: 2, p50: 400, p95: expect.closeTo(490, 6), max: 500 });
    expect(image("3", "full-reboot").reboots).toBe(1);
    const group = (groupId: string, type: string) =>
      report.byGroup.find((s) => s.groupId === groupId && s.rebootType === type);
    expect(group(ids.groupA!, "soft-reboot")!.total).toEqual({
      n: 3,
      p50: 200,
      p95: expect.closeTo(290, 6),
      max: 300,
    });
    expect(group(ids.groupA!, "full-reboot")).toBeUndefined();
    expect(group(ids.groupB!, "soft-reboot")!.total.p50).toBe(500);

    const onlyB = await call<FleetReport>("reports.fleet", { ...range, groupId: ids.groupB });
    expect(onlyB.byType.map((s) => [s.rebootType, s.reboots])).toEqual([
      ["full-reboot", 1],
      ["kexec", 1],
      ["soft-reboot", 1],
    ]);
    expect(onlyB.byGroup.map((s) => s.groupId)).toEqual([ids.groupB, ids.groupB, ids.groupB]);
  });

  it("breaks the surviving payloads and pinned old roots down by image version", async () => {
    const report = await call<FleetReport>("reports.fleet", range);
    const row = (imageVersion: string | null) => report.payloads.find((p) => p.imageVersion === imageVersion);
    expect(row(null)).toMatchObject({ survivorsTotal: 2, survivorsKept: 1, scannedNodes: 2, pinnedNodes: 1 });
    expect(row("3")).toMatchObject({ survivorsKept: 1, survivorsTotal: 1, pinnedNodes: 1, pinnedMaxKb: 40 * 1024 });
    expect(row("2")).toMatchObject({ survivorsKept: 0, survivorsTotal: 1, scannedNodes: 1, pinnedNodes: 0 });
    expect(row("2")!.pinnedMaxKb).toBeNull();
    // What the probed payloads' clients saw, per image version.
    expect(report.clientGapsByImage).toEqual([
      expect.objectContaining({
        imageVersion: "2",
        name: "container",
        reboots: 1,
        p50Ms: 50,
        maxMs: 50,
        failedProbes: 0,
      }),
      expect.objectContaining({
        imageVersion: "3",
        name: "container",
        reboots: 1,
        p50Ms: 30,
        maxMs: 30,
        failedProbes: 0,
      }),
    ]);
  });

  it("ranks the slowest nodes and services, and trends per day", async () => {
    const report = await call<FleetReport>("reports.fleet", range);
    expect(report.slowestNodes.map((n) => [n.hostname, n.reboots, n.p95])).toEqual([
      [names.b1, 1, 500],
      [names.a1, 2, expect.closeTo(290, 6)],
      [names.a2, 1, 200],
    ]);
    expect(report.slowestServices.map((s) => [s.name, s.gapP95Ms])).toEqual([
      ["slow.service", 400],
      ["cache.service", 50],
      ["fast.service", 5],
    ]);
    expect(report.bucket).toBe("day");
    const softTrend = report.trend.filter((p) => p.dimension === "type" && p.key === "soft-reboot");
    expect(softTrend.map((p) => [p.at.toISOString().slice(0, 10), p.p50])).toEqual([
      ["2025-01-02", 100],
      ["2025-01-03", 200],
      ["2025-01-10", 300],
      ["2025-01-11", 500],
    ]);
    expect(report.trend.filter((p) => p.dimension === "image").map((p) => p.key)).toEqual(["2", "2", "3", "3"]);
  });

  it("has nothing to say about a range without reboots, and exact figures for one reboot", async () => {
    const empty = await call<FleetReport>("reports.fleet", {
      from: new Date("2020-01-01"),
      to: new Date("2020-02-01"),
    });
    expect(empty).toMatchObject({
      byType: [],
      byImageVersion: [],
      byGroup: [],
      trend: [],
      escalations: [],
      histogram: [],
    });
    const one = await call<FleetReport>("reports.fleet", { from: jan(3, 0), to: jan(4, 0) });
    expect(one.byType).toHaveLength(1);
    expect(one.byType[0]!.phases.totalMs).toEqual({ n: 1, p50: 200, p95: 200, max: 200 });
    expect(one.byType[0]!.phases.signalToShutdownMs).toEqual({ n: 1, p50: 0, p95: 0, max: 0 });
  });

  it("pages through its rows for exports", async () => {
    const first = await call<{ rows: Array<{ recordId: string; totalMs: number | null }>; next: string | null }>(
      "reports.fleetRows",
      { range, limit: 4 },
    );
    expect(first.rows.map((r) => r.totalMs)).toEqual([100, 200, 300, 500]);
    const second = await call<typeof first>("reports.fleetRows", { range, limit: 4, after: first.next });
    expect(second.rows.map((r) => r.totalMs)).toEqual([2000, 1500]);
    expect(second.next).toBeNull();
  });

  it("refuses a range over 366 days, or backwards, naming the field", async () => {
    const long = await api.call(
      "reports.fleet",
      { from: new Date("2024-01-01"), to: new Date("2025-01-03") },
      { cookie: viewer },
    );
    expect(long.error?.data.code).toBe("BAD_REQUEST");
    expect(long.error?.data.fieldErrors).toEqual({ to: ["the range must be at most 366 days"] });
    const backwards = await api.call("reports.fleet", { from: jan(5), to: jan(4) }, { cookie: viewer });
    expect(backwards.error?.data.fieldErrors).toHaveProperty("to");
  });

  it("gives a node's history, newest first, with type and trigger", async () => {
    const history = await call<RouterOutputs["reports"]["node"]>("reports.node", { nodeId: ids.a1 });
    expect(history.reboots.map((r) => [r.recordedAt.toISOString().slice(0, 10), r.trigger, r.totalMs])).toEqual([
      ["2025-01-10", "rollout", 300],
      ["2025-01-02", "manual", 100],
      ["2024-12-31", "rollout", 99_999],
    ]);
    expect(history.truncated).toBe(false);
    const missing = await api.call("reports.node", { nodeId: "nope" }, { cookie: viewer });
    expect(missing.error?.data.code).toBe("NOT_FOUND");
  });
});
