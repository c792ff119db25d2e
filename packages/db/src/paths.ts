import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's top folder: the one holding prisma.config.ts. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "prisma.config.ts"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the softfleet checkout (no prisma.config.ts above packages/db)");
    dir = parent;
  }
  return dir;
}
