import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "@softfleet/db/paths";
import { labUnavailable } from "../lab-fleet";
import { benchLabReboots } from "./lab-reboots";
import { benchStartup } from "./startup";

/** `npm run bench`: every benchmark; figures printed and written to bench-results/. */
async function main() {
  const results: unknown[] = [await benchStartup()];
  const missing = await labUnavailable();
  if (missing) {
    console.error(`lab benchmarks skipped: ${missing}`);
    results.push({ name: "lab benchmarks", skipped: missing });
  } else {
    results.push(await benchLabReboots());
  }
  const folder = join(repoRoot(), "bench-results");
  await mkdir(folder, { recursive: true });
  const file = join(folder, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`);
  for (const result of results) console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${file}`);
}

main().catch((error) => {
  console.error(`benchmark failed: ${(error as Error).message}`);
  process.exit(1);
});
