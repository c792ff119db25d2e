// npm run user -- <command>: manage users from the command line.
import { spawnSync } from "node:child_process";
import { checkNode, ensureDependencies, root, tsx } from "./bootstrap.mjs";

checkNode();
ensureDependencies();
const [node, args] = tsx("packages/user-cli/src/user.ts", process.argv.slice(2));
const result = spawnSync(node, args, { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
