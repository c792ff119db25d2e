// npm start: install if needed, build if needed, then run the whole product.
import { spawn } from "node:child_process";
import { checkNode, ensureBuilt, ensureDependencies, root, tsx } from "./bootstrap.mjs";

checkNode();
ensureDependencies();
ensureBuilt();
const [node, args] = tsx("packages/launcher/src/cli/start.ts", process.argv.slice(2));
const child = spawn(node, args, { cwd: root, stdio: "inherit" });
// The supervisor handles Ctrl-C itself (it shares our terminal's process group).
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
