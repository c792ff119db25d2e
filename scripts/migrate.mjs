// npm run db:migrate: migrations as the owner, then the apps' role and its grants.
import { spawnSync } from "node:child_process";
import { checkNode, ensureDependencies, root, tsx } from "./bootstrap.mjs";

checkNode();
ensureDependencies();
const [node, args] = tsx("packages/launcher/src/cli/migrate.ts", process.argv.slice(2));
const result = spawnSync(node, args, { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
