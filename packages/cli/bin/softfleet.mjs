#!/usr/bin/env node
// The `softfleet` command: runs the bundle that `npm run build` (or `npm test`, `npm start`) makes.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/softfleet.mjs", import.meta.url));
if (!existsSync(bundle)) {
  console.error(
    `softfleet: the CLI is not built yet (${bundle} is missing); run: npx turbo run build --filter=@softfleet/cli`,
  );
  process.exit(1);
}
await import(bundle);
