import { createRollout } from "@softfleet/fleet";
import type { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { wireFleetOnline } from "@softfleet/testkit/fleet-fixtures";
import { rolloutReaches } from "@softfleet/testkit/rollouts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TOKEN = "metrics-test-token-0123456789";

let t: TestDatabase;
let control: TestControl;
let pool: WirePool | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t, { env: { SOFTFLEET_METRICS_TOKEN: TOKEN } });
});
afterAll(async () => {
  pool?.stop();
  await control?.stop();
  await t?.drop();
});

/** Prometheus's text format as samples: `name{a="x",b="y"}` (labels sorted) to value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    out.set(`${match[1]}{${labels.join(",")}}`, Number(match[3]));
  }
  return out;
}

const scrape = (token?: string) =>
  fetch(`${control.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe("Prometheus metrics on control", () => {
  it("are refused without the token, and a scrape mid-rollout agrees with the database", async () => {
    expect((await scrape()).status).toBe(401);
    const wrong = await scrape("not-the-token-at-all");
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/Bearer/);

    const fleet = await wireFleetOnline(t.db, control.url, 8, "metrics", { downtimeMs: { min: 100, max: 300 } });
    pool = fleet.pool;
    const { specs, group, user } = fleet;
    const plan = {
      canary: { count: 2 },
      approveAfterCanary: true,
      batch: { size: 3 },
      maxUnavailable: 3,
      settleSec: 0,
      targetImageVersion: "2",
      gate: { returnTimeoutSec: 60 },
      failureThreshold: { percent: 0 },
    };
    const { rollout } = await t.db.$transaction((tx) => createRollout(tx, { groupId: group.id, plan, user }));
    // The canary soft-reboots; the rollout then waits for a user's approval: nothing moves meanwhile.
    await rolloutReaches(t.db, rollout.id, "awaiting-approval");
    const response = await scrape(TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(await response.text());

    const byStatus = await t.db.rolloutNode.groupBy({ by: ["status"], where: { rolloutId: rollout.id }, _count: true });
    expect(byStatus.map((s) => [s.status, s._count]).sort()).toEqual([
      ["pending", 6],
      ["succeeded", 2],
    ]);
    for (const { status, _count } of byStatus) {
      expect(m.get(`softfleet_rollout_nodes{group="metrics",rollout="${rollout.id}",status="${status}"}`)).toBe(_count);
    }
    expect(m.get('softfleet_rollouts{status="awaiting-approval"}')).toBe(1);
    const batches = await t.db.rolloutBatch.groupBy({ by: ["status"], where: { rolloutId: rollout.id }, _count: true });
    expect(batches.map((b) => [b.status, b._count]).sort()).toEqual([
      ["done", 1],
      ["pending", 2],
    ]);
    for (const { status, _count } of batches) {
      expect(m.get(`softfleet_rollout_batches{group="metrics",rollout="${rollout.id}",status="${status}"}`)).toBe(
        _count,
      );
    }
    for (const image of ["1", "2"]) {
      const count = await t.db.node.count({ where: { status: "online", imageVersion: image } });
      expect(m.get(`softfleet_nodes{image_version="${image}",status="online"}`)).toBe(count);
    }
    expect(m.get('softfleet_group_nodes{group="metrics",status="online"}')).toBe(8);
    // The database's view of the pools, each named: at least the connection that read these figures,
    // active while it did, and the gateway's lanes and the engine's lock, each on a connection of its own.
    const connections = [...m.entries()].filter(([key]) => key.startsWith("softfleet_db_connections{"));
    expect(m.get('softfleet_db_connections{application="softfleet-control",state="active"}')).toBeGreaterThanOrEqual(1);
    const applications = connections.map(([key]) => /application="([^"]*)"/.exec(key)?.[1]);
    expect(applications).toEqual(expect.arrayContaining(["softfleet-control", "softfleet-control engine lock"]));
    expect(applications).not.toContain("unnamed");

    // The canary's two reboots: stored once each, counted by outcome, their phases observed.
    const records = await t.db.rebootRecord.count({ where: { nodeId: { in: specs.map((s) => s.nodeId) } } });
    expect(records).toBe(2);
    expect(m.get('softfleet_reboots_total{outcome="soft"}')).toBe(records);
    expect(m.get('softfleet_reboots_total{outcome="failed"}')).toBeUndefined();
    expect(m.get('softfleet_reboot_phase_seconds_count{kind="soft-reboot",phase="total"}')).toBe(records);
    expect(m.get('softfleet_agent_events_total{outcome="stored",type="reboot-record"}')).toBe(records);
    expect(m.get('softfleet_agent_connections{state="greeted"}')).toBe(8);
    expect(m.get('softfleet_agent_messages_total{kind="hello"}')).toBeGreaterThanOrEqual(8);
    expect(m.get("softfleet_agent_event_ack_seconds_count{}")).toBeGreaterThanOrEqual(records);
    expect(m.get('softfleet_event_batch_backlog{lane="event"}')).toBe(0);
    // The process's own, from prom-client's defaults.
    expect(m.get("process_cpu_user_seconds_total{}")).toBeGreaterThan(0);
    // No per-node label anywhere.
    for (const key of m.keys()) expect(key).not.toMatch(/node(_id)?=/);
  }, 120_000);

  it("count the reboots a rollout commanded and failed (here refused by their agents)", async () => {
    const fleet = await wireFleetOnline(t.db, control.url, 2, "refusers", { commands: "refuse" });
    const refusers = fleet.pool;
    try {
      const plan = {
        canary: null,
        batch: { size: 2 },
        maxUnavailable: 2,
        settleSec: 0,
        targetImageVersion: "2",
        failureThreshold: { count: 5 },
      };
      const { rollout } = await t.db.$transaction((tx) =>
        createRollout(tx, { groupId: fleet.group.id, plan, user: fleet.user }),
      );
      await rolloutReaches(t.db, rollout.id, "completed");
      const failed = await t.db.rolloutNode.count({ where: { rolloutId: rollout.id, status: "failed" } });
      expect(failed).toBe(2);
      const m = samples(await (await scrape(TOKEN)).text());
      expect(m.get('softfleet_reboots_total{outcome="failed"}')).toBe(failed);
    } finally {
      refusers.stop();
    }
  }, 120_000);
});
