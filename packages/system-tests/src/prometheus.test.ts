import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import type { WirePool } from "@softfleet/simagent";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase } from "@softfleet/testkit";
import { wireFleetOnline } from "@softfleet/testkit/fleet-fixtures";
import { until } from "@softfleet/testkit/rollouts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The monitoring profile's Prometheus configuration (deploy/prometheus/prometheus.yml)
 * and Grafana dashboard (deploy/grafana/softfleet.json), tried against a real
 * Prometheus (Debian's package) scraping a real control process: the scrape
 * authenticates with the token file, and every panel's query runs.
 * Docker images cannot be pulled here, so compose itself is not run.
 */
const PROMETHEUS = "/usr/bin/prometheus";
const TOKEN = "prometheus-test-token-0123456789";
const missing = existsSync(PROMETHEUS) ? null : "Prometheus is not installed (apt-get install -y prometheus)";

let t: TestDatabase;
let control: TestControl;
let pool: WirePool | undefined;
let dir: string;
let prometheus: ChildProcess | undefined;
let api = "";

/** The deployment's configuration, pointed at the test's control and token, scraping every second. */
async function startPrometheus(token: string): Promise<void> {
  const shipped = await readFile(join(repoRoot(), "deploy/prometheus/prometheus.yml"), "utf8");
  const tokenFile = join(dir, "softfleet-token");
  await writeFile(tokenFile, token);
  const config = shipped
    .replace(/scrape_interval: \d+s/, "scrape_interval: 1s")
    .replace("/etc/prometheus/softfleet-token", tokenFile)
    .replace('"control:3001"', `"${new URL(control.url).host}"`);
  expect(config).toContain(tokenFile);
  await writeFile(join(dir, "prometheus.yml"), config);
  const port = await freePort();
  api = `http://127.0.0.1:${port}/api/v1`;
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
}

async function stopPrometheus() {
  if (!prometheus) return;
  const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
  prometheus.kill("SIGTERM");
  await exited;
  prometheus = undefined;
}

async function target(): Promise<{ health: string; lastError: string } | null> {
  const response = await fetch(`${api}/targets`).catch(() => null);
  if (!response?.ok) return null;
  const body = (await response.json()) as { data: { activeTargets: Array<{ health: string; lastError: string }> } };
  const found = body.data.activeTargets[0];
  return found && found.health !== "unknown" ? found : null;
}

async function query(expr: string) {
  const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

// Where CI requires the machine's parts (it installs them), a missing Prometheus fails instead of skipping.
it.runIf(missing && process.env.SOFTFLEET_LAB_REQUIRED === "1")("has Prometheus to run against", () => {
  throw new Error(`${missing}; CI installs it (.ci/run)`);
});

describe.skipIf(missing)("the monitoring profile's Prometheus and dashboard", () => {
  beforeAll(async () => {
    t = await createTestDatabase();
    control = await startTestControl(t, { env: { SOFTFLEET_METRICS_TOKEN: TOKEN } });
    pool = (await wireFleetOnline(t.db, control.url, 3, "monitored")).pool;
    dir = await mkdtemp(join(tmpdir(), "softfleet-prometheus-"));
  });
  afterAll(async () => {
    await stopPrometheus();
    pool?.stop();
    await control?.stop();
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("with a wrong token, shows the target down with control's 401", async () => {
    await startPrometheus("not-the-metrics-token");
    const down = await until("a failed scrape", async () => ((await target())?.health === "down" ? target() : null));
    expect(down?.lastError).toMatch(/401/);
    await stopPrometheus();
  });

  it("scrapes control with the token file, and every dashboard panel's query runs", async () => {
    await startPrometheus(TOKEN);
    await until("a scrape", async () => (await target())?.health === "up");
    const connections = await until("the agents in Prometheus", async () => {
      const result = await query('sum(softfleet_agent_connections{state="greeted"})');
      const value = (result.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1];
      return value === "3" ? value : null;
    });
    expect(connections).toBe("3");

    const dashboard = JSON.parse(await readFile(join(repoRoot(), "deploy/grafana/softfleet.json"), "utf8")) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const failed: string[] = [];
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        const result = await query(expr);
        if (result.status !== "success") failed.push(`${panel.title}: ${expr}: ${result.error}`);
      }
    }
    expect(failed).toEqual([]);
    const nodes = await query("max by (status) (softfleet_nodes)");
    expect(nodes.data?.result).toEqual([
      expect.objectContaining({ metric: { status: "online" }, value: [expect.any(Number), "3"] }),
    ]);
  });
});
