import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { requestSoftReboot } from "@softfleet/fleet";
import { startSimulatedFleet } from "@softfleet/simagent";
import {
  createTestDatabase,
  newEnrollmentToken,
  startTestControl,
  type TestControl,
  type TestDatabase,
} from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TestDatabase;
let control: TestControl;

beforeAll(async () => {
  t = await createTestDatabase();
  control = await startTestControl(t);
});
afterAll(async () => {
  await control?.stop();
  await t?.drop();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("hundreds of simulated nodes in one process", () => {
  it("start, soft-reboot all at once and come back, except those that never return", async () => {
    const started = Date.now();
    const fleet = await startSimulatedFleet({
      controlUrl: control.url,
      enrollmentToken: await newEnrollmentToken(t),
      count: 200,
      seed: "scale",
      namePrefix: "big",
      timeScale: 0.05,
      faultRate: { slow: 0.05, neverReturns: 0.02 },
    });
    const startMs = Date.now() - started;
    try {
      expect(await t.db.node.count({ where: { simulated: true, status: "online" } })).toBe(200);
      fleet.stage("2");
      await until("all staged", async () => (await t.db.node.count({ where: { nextrootImageVersion: "2" } })) === 200);
      const nodes = await t.db.node.findMany({ select: { id: true } });
      await t.db.$transaction(
        async (tx) => {
          for (const { id } of nodes)
            await requestSoftReboot(tx, { nodeId: id, requireNextroot: true, requestedById: null });
          // 200 commands in one transaction: more than Prisma's default 5 s on a loaded machine.
        },
        { timeout: 30_000 },
      );
      const returning = fleet.nodes.filter((node) => node.fault !== "never-returns");
      expect(returning.length).toBeLessThan(200);
      await until("all records stored", async () => (await t.db.rebootRecord.count()) === returning.length);
      await until(
        "all back online on image 2",
        async () =>
          (await t.db.node.count({ where: { status: "online", imageVersion: "2", softRebootsCount: 1 } })) ===
          returning.length,
      );
      expect(await t.db.node.count({ where: { status: "rebooting" } })).toBe(200 - returning.length);
      expect(await t.db.nodeEvent.count({ where: { type: "shutdown-signal" } })).toBe(200);
    } finally {
      await fleet.stop();
    }
    console.error(`[scale] 200 nodes started in ${startMs} ms`);
  }, 60_000);
});

describe("stopping", () => {
  it("leaves no timer or socket behind: the process exits by itself, even with nodes mid-reboot", async () => {
    const exitNodes = { hostname: { startsWith: "exit-" } };
    const script = fileURLToPath(new URL("../../simagent/src/testing/fleet-process.ts", import.meta.url));
    const options = {
      controlUrl: control.url,
      enrollmentToken: await newEnrollmentToken(t),
      count: 30,
      seed: "exit",
      namePrefix: "exit",
      // Slow enough that the reboots are still under way when it stops.
      timeScale: 5,
      faults: { "exit-0001": "never-returns" },
    };
    const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(options)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await until("ready", () => stdout.includes("ready"));
    await until(
      "staged",
      async () => (await t.db.node.count({ where: { ...exitNodes, nextrootImageVersion: "2" } })) === 30,
    );
    const nodes = await t.db.node.findMany({ where: exitNodes, select: { id: true } });
    await t.db.$transaction(async (tx) => {
      for (const { id } of nodes)
        await requestSoftReboot(tx, { nodeId: id, requireNextroot: true, requestedById: null });
    });
    await until(
      "all rebooting",
      async () => (await t.db.node.count({ where: { ...exitNodes, status: "rebooting" } })) === 30,
    );
    child.stdin.write("stop\n");
    await until("stopped", () => stdout.includes("stopped"));
    const stoppedAt = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    // Every node was down (mid-reboot or never returning) when it stopped.
    expect(stdout).toContain("stopped 30");
  });
});

describe("the softfleet-sim CLI", () => {
  it("enrolls and connects its nodes, prints progress and stops on Ctrl-C", async () => {
    const bin = fileURLToPath(new URL("../../simagent/bin/softfleet-sim.mjs", import.meta.url));
    const token = await newEnrollmentToken(t);
    const child = spawn(
      process.execPath,
      [
        bin,
        "--control-url",
        control.url,
        "--token",
        token,
        "--count",
        "3",
        "--seed",
        "9",
        "--name-prefix",
        "cli",
        "--stage",
        "2",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await until("connected", () => stderr.includes("all 3 nodes connected"));
    expect(stderr).toContain("enrolled 3/3, connected 0/3");
    expect(stderr).toContain("connected 3/3");
    await until("staged", () => stderr.includes("staged image 2 on every node"));
    await until(
      "staged stored",
      async () =>
        (await t.db.node.count({ where: { hostname: { startsWith: "cli-" }, nextrootImageVersion: "2" } })) === 3,
    );
    expect(
      await t.db.node.count({ where: { hostname: { startsWith: "cli-" }, status: "online", simulated: true } }),
    ).toBe(3);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    await until(
      "offline",
      async () => (await t.db.node.count({ where: { hostname: { startsWith: "cli-" }, status: "offline" } })) === 3,
    );
  });
});
