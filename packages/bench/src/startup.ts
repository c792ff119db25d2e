import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { summarize } from "./stats";

/**
 * `npm start` on an already-built tree, from the command to HTTP 200 on the
 * login page. The first run starts from an empty data folder (new cluster,
 * migrations, demo admin); the others restart on the same data, as a person
 * does day to day. Each run ends with a Ctrl-C to the whole process group.
 */
export async function benchStartup(runs = 6) {
  const root = repoRoot();
  const dataDir = await makeScratchDir("softfleet-bench-startup-");
  const cold: number[] = [];
  const warm: number[] = [];
  const shutdown: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const port = await freePort();
      const env = {
        ...process.env,
        SOFTFLEET_DATA_DIR: dataDir,
        PORT: String(port),
        CONTROL_PORT: String(await freePort()),
        SOFTFLEET_PG_PORT: String(await freePort()),
      };
      const started = performance.now();
      const child = spawn("npm", ["start"], { cwd: root, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr?.on("data", (chunk) => (stderr += chunk));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await waitFor200(
        `http://127.0.0.1:${port}/login`,
        () => child.exitCode !== null,
        () => stderr,
      );
      (run === 0 ? cold : warm).push(performance.now() - started);
      const stopping = performance.now();
      process.kill(-child.pid!, "SIGINT");
      await exited;
      await waitUntilStopped(join(dataDir, "postgres/postmaster.pid"), port);
      shutdown.push(performance.now() - stopping);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return {
    name: "npm start -> HTTP 200 on /login (already built)",
    firstStartMs: Math.round(cold[0]!),
    restart: summarize(warm),
    ctrlCToAllStopped: summarize(shutdown),
  };
}

/** Everything is down when the web port refuses and Postgres has removed its pid file. */
async function waitUntilStopped(pidFile: string, webPort: number) {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const webUp = await fetch(`http://127.0.0.1:${webPort}/login`).then(
      () => true,
      () => false,
    );
    if (!webUp && !existsSync(pidFile)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the product did not stop within 60 s of Ctrl-C");
}

async function waitFor200(url: string, died: () => boolean, output: () => string) {
  const deadline = performance.now() + 180_000;
  while (performance.now() < deadline) {
    if (died()) throw new Error(`npm start exited early:\n${output()}`);
    const status = await fetch(url, { redirect: "manual" }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no HTTP 200 from ${url} within 180 s:\n${output()}`);
}
