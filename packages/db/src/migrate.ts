import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { redact } from "./config";
import { repoRoot } from "./paths";

const require = createRequire(import.meta.url);

export class MigrationError extends Error {}

/**
 * Applies pending migrations with `prisma migrate deploy` (Prisma's JS schema
 * engine, no binary download). Returns the CLI's summary line.
 */
export async function migrateDeploy(databaseUrl: string): Promise<string> {
  const root = repoRoot();
  const cli = require.resolve("prisma/build/index.js", { paths: [root] });
  const args = ["--require", join(root, "scripts/prisma-unref-timers.cjs"), cli, "migrate", "deploy"];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(text);
      else
        reject(
          new MigrationError(
            `prisma migrate deploy failed against ${redact(databaseUrl)} (exit ${code}):\n${text.trim()}`,
          ),
        );
    });
  });
  const summary = output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /migrations? (have been|found|to apply)|No pending/i.test(line));
  return summary.at(-1) ?? "migrations applied";
}
