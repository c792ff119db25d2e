// Bundles the CLI into one ESM file that runs on plain Node 20 with no node_modules,
// so a pipeline can copy it like the agent (the API's types are all it takes from the repo).
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/softfleet.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  legalComments: "none",
  logLevel: "warning",
});
