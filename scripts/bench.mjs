// npm run bench: installs and builds if needed, then runs the benchmarks.
import { spawnSync } from "node:child_process";
import { checkNode, ensureBuilt, ensureDependencies, root, tsx } from "./bootstrap.mjs";

checkNode();
ensureDependencies();
ensureBuilt();
const [node, args] = tsx("packages/bench/src/main.ts", process.argv.slice(2));
process.exit(spawnSync(node, args, { cwd: root, stdio: "inherit" }).status ?? 1);
