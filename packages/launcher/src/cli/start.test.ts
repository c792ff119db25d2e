import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { afterAll, describe, expect, it } from "vitest";

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** Runs `npm start` in its own process group, as a terminal would. */
async function npmStart() {
  const dataDir = await makeScratchDir("softfleet-start-");
  folders.push(dataDir);
  const port = await freePort();
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn("npm", ["start"], {
    cwd: repoRoot(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...env,
      SOFTFLEET_DATA_DIR: dataDir,
      PORT: String(port),
      CONTROL_PORT: String(await freePort()),
      SOFTFLEET_PG_PORT: String(await freePort()),
    },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const ctrlC = () => process.kill(-child.pid!, "SIGINT");
  const until = async (pattern: RegExp) => {
    for (let i = 0; i < 1200 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    expect(output).toMatch(pattern);
  };
  return { dataDir, port, ctrlC, until, exited, output: () => output };
}

async function stillAnswers(port: number) {
  return fetch(`http://127.0.0.1:${port}/login`).then(
    () => true,
    () => false,
  );
}

describe("npm start", () => {
  it("prints the URL and working credentials, starts a simulated demo fleet, and Ctrl-C stops every process", async () => {
    const run = await npmStart();
    await run.until(/log in as:\s+admin \/ (\S+)/);
    const password = /log in as:\s+admin \/ (\S+)/.exec(run.output())![1]!;
    const url = /softfleet is running: (\S+)/.exec(run.output())![1]!;
    const login = await fetch(`${url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { username: "admin", password } }),
    });
    expect(login.status).toBe(200);
    // The demo fleet: 12 simulated nodes, online, marked simulated, grouped, version 2 staged.
    expect(run.output()).toMatch(/simulated nodes:\s+12 \(group "demo \(simulated\)"/);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const input = encodeURIComponent(JSON.stringify({ json: {} }));
    const nodes = await fetch(`${url}/api/trpc/nodes.page?input=${input}`, { headers: { cookie } });
    const page = (
      (await nodes.json()) as {
        result: { data: { json: { rows: Array<Record<string, unknown>>; counts: { total: number } } } };
      }
    ).result.data.json;
    expect(page.counts.total).toBe(12);
    const list = page.rows;
    expect(list).toHaveLength(12);
    expect(list.every((n) => n.simulated === true && n.status === "online")).toBe(true);
    run.ctrlC();
    await run.exited;
    await run.until(/stopped cleanly/);
    // Each app finished its own writes on its way out: none was cut off, none failed.
    expect(run.output()).not.toMatch(/marking offline failed|did not close within|not cleanly/);
    expect(await stillAnswers(run.port)).toBe(false);
    expect(existsSync(join(run.dataDir, "postgres/postmaster.pid"))).toBe(false);
  }, 120_000);

  it("a Ctrl-C in the middle of starting leaves nothing running", async () => {
    const run = await npmStart();
    await run.until(/starting the control plane and the web app/);
    run.ctrlC();
    await run.exited;
    await run.until(/stopped cleanly/);
    expect(run.output()).not.toContain("could not start");
    await new Promise((r) => setTimeout(r, 500));
    expect(await stillAnswers(run.port)).toBe(false);
    expect(existsSync(join(run.dataDir, "postgres/postmaster.pid"))).toBe(false);
  }, 120_000);
});
