import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "@softfleet/db";
import { describe, expect, it } from "vitest";
import { isPrivateAddress, loadEnv } from "../env";
import { bounded, MAX_SERIES } from "./fleet-metrics";
import { registerGatewayGauges } from "./gateway-metrics";
import { createMetrics, type MetricsAccess, metricsRoute } from "./metrics";

const base = { DATABASE_URL: "postgresql://localhost/softfleet" };

describe("who may scrape /metrics", () => {
  it("takes a token, or open access only where control listens on private addresses", () => {
    expect(loadEnv({ ...base, SOFTFLEET_METRICS_TOKEN: "a-token-of-16-chars" }).SOFTFLEET_METRICS_TOKEN).toBe(
      "a-token-of-16-chars",
    );
    expect(() => loadEnv({ ...base, SOFTFLEET_METRICS_TOKEN: "short" })).toThrow(
      /SOFTFLEET_METRICS_TOKEN: must be at least 16 characters/,
    );
    expect(
      loadEnv({ ...base, CONTROL_HOST: "127.0.0.1,10.20.0.1", SOFTFLEET_METRICS_OPEN: "1" }).SOFTFLEET_METRICS_OPEN,
    ).toBe("1");
    expect(() => loadEnv({ ...base, CONTROL_HOST: "127.0.0.1,0.0.0.0", SOFTFLEET_METRICS_OPEN: "1" })).toThrow(
      /SOFTFLEET_METRICS_OPEN: opens \/metrics to anyone/,
    );
    expect(() =>
      loadEnv({ ...base, SOFTFLEET_METRICS_OPEN: "1", SOFTFLEET_METRICS_TOKEN: "a-token-of-16-chars" }),
    ).toThrow(/not both/);
    // Empty, as docker compose passes an unset variable: off.
    expect(loadEnv({ ...base, SOFTFLEET_METRICS_TOKEN: "" }).SOFTFLEET_METRICS_TOKEN).toBeUndefined();
  });

  it("counts as private only loopback, RFC 1918 and IPv6 unique local addresses, never a name", () => {
    for (const host of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "::1",
      "fd12:3456::1",
    ]) {
      expect(isPrivateAddress(host)).toBe(true);
    }
    for (const host of [
      "0.0.0.0",
      "172.32.0.1",
      "8.8.8.8",
      "::",
      "fd::1",
      "2001:db8::1",
      "localhost",
      "metrics.internal",
    ]) {
      expect(isPrivateAddress(host)).toBe(false);
    }
  });
});

/** GET /metrics of a server with the route alone; the fleet's figures are not read (no database here). */
async function get(access: MetricsAccess, method = "GET") {
  const metrics = createMetrics({} as Db);
  // The fleet's gauges would read the database: only the process's and the gateway's are collected here.
  for (const name of [
    "softfleet_nodes",
    "softfleet_group_nodes",
    "softfleet_rollouts",
    "softfleet_rollout_batches",
    "softfleet_rollout_nodes",
    "softfleet_db_connections",
  ]) {
    metrics.registry.removeSingleMetric(name);
  }
  const server = createServer(metricsRoute(metrics.registry, access, () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { method });
    return { status: response.status, text: await response.text() };
  } finally {
    server.close();
  }
}

describe("the /metrics route", () => {
  it("is off until configured, and says how to turn it on", async () => {
    const off = await get(null);
    expect(off.status).toBe(404);
    expect(JSON.parse(off.text).error).toMatch(/SOFTFLEET_METRICS_TOKEN/);
  });

  it("answers anyone when open, in Prometheus's text format; refuses other methods", async () => {
    const open = await get({ open: true });
    expect(open.status).toBe(200);
    expect(open.text).toMatch(/^# HELP process_cpu_user_seconds_total/m);
    expect(open.text).toMatch(/^# TYPE softfleet_reboot_phase_seconds histogram$/m);
    expect((await get({ open: true }, "POST")).status).toBe(405);
  });
});

describe("label cardinality", () => {
  it("keeps at most MAX_SERIES values of a label, summing the rest under other per status", () => {
    const rows = Array.from({ length: MAX_SERIES + 20 }, (_, i) => [
      { status: "online", image: `v${i}`, count: 1000 - i },
      { status: "offline", image: `v${i}`, count: 1 },
    ]).flat();
    const kept = bounded(rows, "image");
    expect(new Set(kept.map((r) => r.image)).size).toBe(MAX_SERIES);
    const other = kept.filter((r) => r.image === "other");
    const dropped = rows.filter((r) => Number(r.image.slice(1)) >= MAX_SERIES - 1);
    expect(other.map((r) => [r.status, r.count]).sort()).toEqual(
      [
        ["offline", dropped.filter((r) => r.status === "offline").reduce((a, r) => a + r.count, 0)],
        ["online", dropped.filter((r) => r.status === "online").reduce((a, r) => a + r.count, 0)],
      ].sort(),
    );
    // Nothing is lost: the total is the same.
    expect(kept.reduce((a, r) => a + r.count, 0)).toBe(rows.reduce((a, r) => a + r.count, 0));
    // The input is left as it was.
    expect(rows.some((r) => r.image === "other")).toBe(false);
  });
});

describe("the Grafana dashboard (deploy/grafana/softfleet.json)", () => {
  it("asks only for metrics that control exposes", async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL("../../../../deploy/grafana/softfleet.json", import.meta.url), "utf8"),
    ) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const metrics = createMetrics({} as Db);
    registerGatewayGauges(metrics.registry, { connections: () => ({ open: 0, greeted: 0 }), lanes: () => [] });
    const exposed = new Set(metrics.registry.getMetricsAsArray().map((m) => m.name));
    const asked = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) =>
        [...target.expr.matchAll(/\b((?:softfleet|process|nodejs)_[a-z_]+)/g)].map(([, name]) => ({
          panel: panel.title,
          name: name!.replace(/_(bucket|count|sum)$/, ""),
        })),
      ),
    );
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.filter((a) => !exposed.has(a.name))).toEqual([]);
  });
});

describe("the reboots' payloads", () => {
  it("count surviving units kept or restarted, and containers kept running or restarted; not units not meant to survive", async () => {
    const metrics = createMetrics({} as Db);
    const unit = (name: string, outcome: string, survives: boolean) => ({
      name,
      outcome,
      survives,
      invocationIdBefore: null,
      invocationIdAfter: null,
      inactiveEnterUsec: null,
      activeEnterUsec: null,
    });
    const container = (outcome: string) => ({ outcome, before: null, after: null });
    metrics.gateway.rebootRecord({
      kind: "soft-reboot",
      escalated: false,
      phases: {
        signalUsec: null,
        shutdownStartUsec: null,
        userspaceUsec: null,
        finishUsec: null,
        agentConnectedUsec: 1n,
      },
      units: [
        unit("db.service", "survived", true),
        unit("cache.service", "restarted", true),
        unit("nginx.service", "restarted", false),
        unit("portable.service", "survived", true),
      ],
      containers: [container("kept-running"), container("restarted"), container("new")],
    } as unknown as Parameters<typeof metrics.gateway.rebootRecord>[0]);
    const text = await metrics.registry.getSingleMetricAsString("softfleet_reboot_payloads_total");
    expect(text).toContain('softfleet_reboot_payloads_total{payload="surviving-unit",outcome="kept"} 2');
    expect(text).toContain('softfleet_reboot_payloads_total{payload="surviving-unit",outcome="restarted"} 1');
    expect(text).toContain('softfleet_reboot_payloads_total{payload="container",outcome="kept"} 1');
    expect(text).toContain('softfleet_reboot_payloads_total{payload="container",outcome="restarted"} 1');
  });
});
