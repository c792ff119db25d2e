import { rm } from "node:fs/promises";
import { LabError } from "./errors";
import { mountPointsUnder } from "./proc";
import { run, runChecked, sleep } from "./run";

/** Unmounts everything at or below dir, deepest first; a busy mount is retried, then detached. */
export async function unmountAll(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const points = mountPointsUnder(dir).sort((a, b) => b.length - a.length);
    if (points.length === 0) return;
    for (const point of points) {
      const lazy = attempt >= 10;
      await run("umount", lazy ? ["-l", point] : [point]);
    }
    await sleep(100);
  }
  throw new LabError("command-failed", `could not unmount ${mountPointsUnder(dir).join(", ")}`);
}

/**
 * Removes a directory tree the lab created, refusing while anything is mounted
 * below it: deleting through a mount could reach the shared image cache.
 */
export async function removeTree(dir: string): Promise<void> {
  const mounted = mountPointsUnder(dir);
  if (mounted.length > 0) {
    throw new LabError("command-failed", `not removing ${dir}: still mounted there: ${mounted.join(", ")}`);
  }
  await runChecked("rm", ["-rf", "--one-file-system", "--", dir]);
  await rm(dir, { recursive: true, force: true });
}
