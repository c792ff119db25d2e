import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "./commands/io";
import { downtimeLine, EXIT, exitCodeOf, normalizeUrl, phasesLine, planOf, run, transitionLine } from "./index";

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const streams: Io = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    write: (chunk) => out.push(String(chunk)),
    stdin: Readable.from([]) as unknown as Io["stdin"],
    env,
  };
  return { streams, out, err };
}

describe("rollout start's plan flags", () => {
  it("map to the plan the API takes", () => {
    expect(
      planOf({
        image: "42",
        canary: "2",
        "batch-percent": "10",
        "max-unavailable": "3",
        settle: "0",
        "approve-after-canary": true,
        "required-unit": ["nginx.service", "app.service"],
        "max-downtime-ms": "2500",
        "auto-rollback": true,
        "failure-percent": "5",
        "when-not-staged": "skip",
      }),
    ).toEqual({
      targetImageVersion: "42",
      canary: { count: 2 },
      batch: { percent: 10 },
      maxUnavailable: 3,
      settleSec: 0,
      approveAfterCanary: true,
      whenNotStaged: "skip",
      gate: { requiredUnits: ["nginx.service", "app.service"], maxDowntimeMs: 2500 },
      autoRollback: true,
      failureThreshold: { percent: 5 },
    });
    expect(planOf({ image: "2", "no-canary": true, "batch-size": "5" })).toMatchObject({
      canary: null,
      batch: { size: 5 },
    });
  });

  it("put flags over a plan file's fields", () => {
    const file = JSON.stringify({ targetImageVersion: "1", settleSec: 60, gate: { returnTimeoutSec: 90 } });
    expect(planOf({ "plan-file": "p.json", image: "2", "max-downtime-ms": "900" }, () => file)).toEqual({
      targetImageVersion: "2",
      settleSec: 60,
      gate: { returnTimeoutSec: 90, maxDowntimeMs: 900 },
    });
  });

  it("refuse what cannot be meant, naming the flag", () => {
    expect(() => planOf({ "batch-size": "5", "batch-percent": "10" })).toThrow(/--batch-size or --batch-percent/);
    expect(() => planOf({ canary: "1", "no-canary": true })).toThrow(/--canary or --no-canary/);
    expect(() => planOf({ "batch-size": "five" })).toThrow(/--batch-size: "five" is not a whole number/);
    expect(() => planOf({ "max-downtime-ms": "" })).toThrow(/--max-downtime-ms/);
    expect(() => planOf({ "image-url": "/images/x.tar" })).toThrow(/--image-url and --image-sha256 go together/);
    expect(() => planOf({ "when-not-staged": "maybe" })).toThrow(/skip or fail/);
    expect(() => planOf({ "plan-file": "p.json" }, () => "{not json")).toThrow(/cannot read p.json as JSON/);
    expect(() => planOf({ "plan-file": "p.json" }, () => "[1]")).toThrow(/must hold a JSON object/);
  });
});

describe("the dashboard address", () => {
  it("is kept to its origin, and plain http only to loopback (the token would travel in the clear)", () => {
    expect(normalizeUrl("https://softfleet.example.com/fleet?x=1")).toBe("https://softfleet.example.com");
    expect(normalizeUrl("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(normalizeUrl("http://localhost:3000")).toBe("http://localhost:3000");
    expect(() => normalizeUrl("http://10.0.0.5:3000")).toThrow(/needs https:\/\//);
    expect(() => normalizeUrl("ftp://x")).toThrow(/use an https:\/\/ address/);
    expect(() => normalizeUrl("softfleet")).toThrow(/is not a URL/);
  });
});

describe("progress lines", () => {
  it("say a transition as the rollout page does, and who acted when a person did", () => {
    const at = new Date("2026-12-05T10:11:12Z");
    const base = { id: "1", at, from: "running", to: "paused", reason: "", actorName: "alice" };
    expect(transitionLine({ ...base, machine: "rollout", subjectName: "web" })).toBe(
      "10:11:12  rollout: running -> paused by alice",
    );
    expect(
      transitionLine({
        ...base,
        machine: "node",
        subjectName: "web-3",
        from: "rebooting",
        to: "failed",
        reason: "did not come back within 300 s",
        actorName: "rollout engine",
      }),
    ).toBe("10:11:12  node web-3: rebooting -> failed: did not come back within 300 s");
  });

  it("show a node's phases, or why it has none", () => {
    const node = {
      nodeId: "n1",
      hostname: "web-1",
      status: "succeeded",
      reason: null,
      rebootType: "soft-reboot",
      signalToShutdownMs: 4.6,
      shutdownMs: 1200,
      bootMs: 300,
      reconnectMs: 80,
      totalMs: 1584.6,
    };
    expect(phasesLine(node)).toBe(
      "    web-1: down 1,585 ms (signal->shutdown 5 ms, shutdown 1,200 ms, boot 300 ms, reconnect 80 ms)",
    );
    expect(phasesLine({ ...node, rebootType: "full-reboot" })).toContain("[full-reboot]");
    expect(phasesLine({ ...node, status: "failed", reason: "not staged", totalMs: null })).toBe(
      "    web-1: failed (not staged)",
    );
    const stat = (p50: number) => ({ n: 3, p50, p95: p50 * 2, max: p50 * 3 });
    expect(
      downtimeLine({
        rebootType: "soft-reboot",
        reboots: 3,
        phases: {
          signalToShutdownMs: stat(5),
          shutdownMs: stat(700),
          bootMs: stat(200),
          reconnectMs: stat(90),
          totalMs: stat(1000),
        },
      }),
    ).toBe(
      "downtime of 3 soft-reboots: p50 1,000 ms, p95 2,000 ms, max 3,000 ms (p50 signal->shutdown 5 ms, shutdown 700 ms, boot 200 ms, reconnect 90 ms)",
    );
  });

  it("end --wait with 0 on completion, 2 on a halt and 3 on an abort", () => {
    expect(exitCodeOf("completed")).toBe(EXIT.ok);
    expect(exitCodeOf("halted")).toBe(2);
    expect(exitCodeOf("aborted")).toBe(3);
  });
});

describe("the command line", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "softfleet-cli-test-"));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it("says how to log in when nobody has, and exits 1", async () => {
    const { streams, err } = io({ XDG_CONFIG_HOME: home });
    expect(await run(["nodes", "list"], streams)).toBe(1);
    expect(err.join("\n")).toMatch(/^softfleet nodes list: not logged in: run `softfleet login --url/);
  });

  it("prints a command's usage for --help, before any login, and exits 0", async () => {
    const help = io({ XDG_CONFIG_HOME: home });
    expect(await run(["rollout", "start", "--group", "g", "--help"], help.streams)).toBe(0);
    expect(help.out.join("\n")).toMatch(
      /^usage: softfleet rollout start --group NAME --image VERSION .*--max-unavailable N/,
    );
    expect(help.err).toEqual([]);
    const short = io({ XDG_CONFIG_HOME: home });
    expect(await run(["nodes", "show", "-h"], short.streams)).toBe(0);
    expect(short.out).toEqual(["usage: softfleet nodes show <node id or hostname> [--json]"]);
    // After `--`, "--help" is an argument, not a request for usage.
    const literal = io({ XDG_CONFIG_HOME: home });
    expect(await run(["nodes", "show", "--", "--help"], literal.streams)).toBe(1);
    expect(literal.err.join("\n")).toMatch(/not logged in/);
  });

  it("names an unknown command or flag, with the usage", async () => {
    const env = { XDG_CONFIG_HOME: home, SOFTFLEET_URL: "http://127.0.0.1:9", SOFTFLEET_TOKEN: "sfp_x" };
    const unknown = io(env);
    expect(await run(["rollout", "explode"], unknown.streams)).toBe(1);
    expect(unknown.err[0]).toContain('unknown command "rollout explode"');
    const flag = io(env);
    expect(await run(["rollout", "start", "--group", "g", "--colour", "red"], flag.streams)).toBe(1);
    expect(flag.err[0]).toMatch(/Unknown option '--colour'[\s\S]*usage: softfleet rollout start/);
    const missing = io(env);
    expect(await run(["rollout", "pause"], missing.streams)).toBe(1);
    expect(missing.err[0]).toContain("missing the rollout id");
  });

  it("says when the server cannot be reached, without a stack trace", async () => {
    // A loopback port that was free a moment ago: nothing listens there now.
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const { streams, err } = io({ XDG_CONFIG_HOME: home, SOFTFLEET_URL: url, SOFTFLEET_TOKEN: "sfp_x" });
    expect(await run(["groups", "list"], streams)).toBe(1);
    expect(err.join("\n")).toBe(`softfleet groups list: cannot reach ${url}: ECONNREFUSED`);
  });
});
