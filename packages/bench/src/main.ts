/**
 * @softfleet/bench: the benchmarks (`npm run bench [-- name ...]`). Each
 * prints its figures against its goal and writes them to bench-results/; a
 * benchmark that fails or is interrupted stops what it started.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "@softfleet/db/paths";
import { labUnavailable } from "@softfleet/launcher/lab";
import { benchEngineScale } from "./engine-scale";
import { benchFleetLive } from "./fleet-live";
import { benchFleetPage } from "./fleet-page";
import { benchFlood } from "./flood";
import { benchIngest } from "./ingest";
import { handleInterrupts } from "./interrupt";
import { benchLabPayloads } from "./lab-payloads";
import { benchLabReboots } from "./lab-reboots";
import { benchLabStaging } from "./lab-staging";
import { benchReportPage } from "./report-page";
import { benchReports } from "./reports";
import { benchRolloutEngine, benchRolloutLab } from "./rollouts";
import { benchScale } from "./scale";
import { benchScaleMulti } from "./scale-multi";
import { benchStartup } from "./startup";

function labReboots(): number {
  const value = Number(process.env.SOFTFLEET_BENCH_LAB_REBOOTS ?? 100);
  if (!Number.isInteger(value) || value < 2 || value > 1000) {
    throw new Error(
      `SOFTFLEET_BENCH_LAB_REBOOTS must be a whole number from 2 to 1000, got "${process.env.SOFTFLEET_BENCH_LAB_REBOOTS}"`,
    );
  }
  return value;
}

/** Fleet sizes of the scale benchmark (SOFTFLEET_BENCH_SCALE_NODES, default "1000,10000"). */
function scaleSizes(): number[] {
  const text = process.env.SOFTFLEET_BENCH_SCALE_NODES ?? "1000,10000";
  const sizes = text.split(",").map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 50_000)) {
    throw new Error(`SOFTFLEET_BENCH_SCALE_NODES must be fleet sizes from 1 to 50000, comma-separated, got "${text}"`);
  }
  return sizes;
}

/** Each benchmark by name; `npm run bench -- lab` runs only the named ones. */
const BENCHMARKS: Record<string, () => Promise<unknown>> = {
  startup: benchStartup,
  lab: async () => {
    const missing = await labUnavailable();
    // p99 needs 100 samples at least: 100 soft-reboots per phase by default (SOFTFLEET_BENCH_LAB_REBOOTS).
    if (!missing) return [await benchLabReboots(labReboots()), await benchLabPayloads(), await benchLabStaging()];
    console.error(`lab benchmarks skipped: ${missing}`);
    return { name: "lab benchmarks", skipped: missing };
  },
  "lab-reboots": async () => {
    const missing = await labUnavailable();
    return missing ? { name: "soft-reboots on lab nodes", skipped: missing } : benchLabReboots(labReboots());
  },
  "lab-payloads": async () => {
    const missing = await labUnavailable();
    return missing ? { name: "payloads on lab nodes", skipped: missing } : benchLabPayloads();
  },
  engine: () => benchRolloutEngine(),
  "engine-scale": () => benchEngineScale(),
  scale: () => benchScale(scaleSizes()),
  "scale-multi": () => benchScaleMulti(),
  flood: () => benchFlood(),
  ingest: () => benchIngest(),
  reports: () => benchReports(),
  "report-page": () => benchReportPage(),
  "fleet-page": () => benchFleetPage(),
  "fleet-live": () => benchFleetLive(),
  "lab-staging": async () => {
    const missing = await labUnavailable();
    return missing ? { name: "staging on lab nodes", skipped: missing } : benchLabStaging();
  },
  "rollout-lab": async () => {
    const missing = await labUnavailable();
    return missing ? { name: "rollout on lab nodes", skipped: missing } : benchRolloutLab();
  },
};

/** `npm run bench`: every benchmark; figures printed and written to bench-results/. */
async function main() {
  handleInterrupts((line) => console.error(`[bench] ${line}`));
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in BENCHMARKS));
  if (unknown.length)
    throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  const results: unknown[] = [];
  for (const [name, run] of Object.entries(BENCHMARKS)) {
    if (asked.length === 0 || asked.includes(name)) results.push(await run());
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
