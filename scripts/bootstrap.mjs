// Shared by the root commands: runs before dependencies exist, so it uses
// only Node's own modules. It installs what is missing and builds what is stale.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

process.env.TURBO_TELEMETRY_DISABLED = "1";
process.env.NEXT_TELEMETRY_DISABLED = "1";

export function say(message) {
  console.error(`[softfleet] ${message}`);
}

export function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    say(`Node.js ${process.versions.node} is too old: softfleet needs Node.js 20.19 or newer.`);
    process.exit(1);
  }
}

function run(command, args, what) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    say(`${what} failed (exit ${result.status ?? result.signal}). Its output is above.`);
    process.exit(result.status || 1);
  }
  say(`${what}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `npm ci` when node_modules is missing or older than the lockfile. */
export function ensureDependencies() {
  const marker = join(root, "node_modules/.package-lock.json");
  const lock = join(root, "package-lock.json");
  const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
  if (!stale) return;
  say("installing dependencies (npm ci; about a minute on a fresh clone)…");
  run("npm", ["ci", "--no-audit", "--no-fund"], "installing dependencies");
}

/** Builds through Turborepo, which skips packages whose inputs did not change. */
export function ensureBuilt() {
  const built = existsSync(join(root, "apps/web/.next/BUILD_ID"));
  say(built ? "checking the build…" : "building the web app (about a minute the first time)…");
  run(
    process.execPath,
    [join(root, "node_modules/turbo/bin/turbo"), "run", "build", "--output-logs=errors-only", "--log-prefix=none"],
    "build",
  );
}

/**
 * A TypeScript entry point run by Node with tsx's loader: one process, so
 * signals reach it directly (the tsx CLI wrapper would relay them and kill
 * the script outright on a second Ctrl-C, in the middle of a clean stop).
 */
export function tsx(script, args = []) {
  return [process.execPath, ["--import", "tsx", join(root, script), ...args]];
}

export function packageJson() {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
}
