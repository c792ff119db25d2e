import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LabError } from "./errors";
import { removeTree, unmountAll } from "./fsops";
import { cachePaths } from "./layout";
import type { Manifest } from "./manifest";
import { debianMirror } from "./mirror";
import type { Progress } from "./progress";
import { run } from "./run";

/** The base layer: Debian trixie from debootstrap, the slow part of the image, built once. */

export const SUITE = "trixie";
/**
 * podman (with quadlet) runs the surviving container; busybox-static is what
 * its demo image is made of (no registry needed); systemd-container brings
 * portablectl; polkitd (with libpam-systemd, which provides logind for its dependency) answers logind when the agent skips block inhibitors.
 */
const INCLUDE =
  "systemd,systemd-sysv,dbus,nodejs,iproute2,procps,podman,busybox-static,systemd-container,libpam-systemd,polkitd";
export const IMAGE_ID = "softfleet-lab";
export const BASE_IMAGE_VERSION = "1";

type BaseManifest = NonNullable<Manifest["base"]>;

export function baseIsBuilt(base: BaseManifest | undefined): base is BaseManifest {
  return base !== undefined && existsSync(join(base.dir, "usr/lib/os-release"));
}

/** Why a built base no longer fits: its packages are not those the lab needs now (null: it fits). */
export function baseOutdated(base: BaseManifest): string | null {
  const include = base.debootstrapArgs.find((arg) => arg.startsWith("--include="));
  return include === `--include=${INCLUDE}`
    ? null
    : `its packages (${include ?? "unknown"}) are not those the lab needs now (--include=${INCLUDE})`;
}

export async function buildBaseLayer(p: Progress): Promise<BaseManifest> {
  const paths = cachePaths();
  const partial = `${paths.base}.partial`;
  // A run cut short leaves a partial tree, possibly with debootstrap's /proc and /sys mounts in it.
  if (existsSync(partial)) {
    p.say(`removing the unfinished tree of an earlier run (${partial})`);
    await unmountAll(partial);
    await removeTree(partial);
  }
  await mkdir(paths.logs, { recursive: true });
  const mirror = debianMirror();
  const args = ["--variant=minbase", `--include=${INCLUDE}`, SUITE, partial, mirror.url];
  const log = join(paths.logs, `debootstrap-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
  p.say(`debootstrap ${args.join(" ")} (mirror from ${mirror.source}; about 80-120 s; log: ${log})`);
  const started = performance.now();
  const result = await runDebootstrap(p, args, log);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (result.exitCode !== 0) {
    await unmountAll(partial);
    throw new LabError(
      "debootstrap-failed",
      `debootstrap failed (exit ${result.exitCode}) after ${seconds} s; its last lines:\n${result.lastLines.join("\n")}`,
      `see ${log} and ${partial}/debootstrap/debootstrap.log; check that ${mirror.url}/dists/${SUITE}/Release is reachable ` +
        `(set SOFTFLEET_LAB_MIRROR=<another Debian mirror> if not), then run \`npm run lab -- build\` again (it starts afresh)`,
    );
  }
  p.say(
    `debootstrap finished in ${seconds} s; marking the image (IMAGE_ID=${IMAGE_ID}, IMAGE_VERSION=${BASE_IMAGE_VERSION})`,
  );
  await finishBase(partial);
  if (existsSync(paths.base)) await removeTree(paths.base);
  await rename(partial, paths.base);
  return {
    dir: paths.base,
    builtAt: new Date().toISOString(),
    seconds,
    suite: SUITE,
    mirror: mirror.url,
    debootstrapArgs: args.map((arg) => (arg === partial ? paths.base : arg)),
    imageId: IMAGE_ID,
    imageVersion: BASE_IMAGE_VERSION,
  };
}

/**
 * Streams debootstrap's output to the log. On the terminal: each phase, the
 * first item of each kind in it ("I: Retrieving libc6…") and how many followed,
 * plus a heartbeat with the latest line while it is quiet.
 */
async function runDebootstrap(p: Progress, args: string[], log: string) {
  let lastLine = "";
  const lastLines: string[] = [];
  const itemsShown = new Map<string, number>();
  let writes = Promise.resolve();
  const stopHeartbeat = p.heartbeat(() => `debootstrap still working: ${lastLine}`);
  const endPhase = () => {
    const counts = [...itemsShown].map(([verb, count]) => `${count} ${verb.toLowerCase()}`).join(", ");
    if (counts) p.say(`debootstrap: … (${counts})`);
    itemsShown.clear();
  };
  try {
    const result = await run("debootstrap", args, {
      onLine(line) {
        writes = writes.then(() => appendFile(log, `${line}\n`));
        if (!line.trim()) return;
        lastLine = line;
        lastLines.push(line);
        if (lastLines.length > 15) lastLines.shift();
        const verb = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.exec(line)?.[1];
        const isItem = verb !== undefined && !/(packages|system)\.\.\.$/.test(line);
        if (!isItem) {
          endPhase();
          p.say(`debootstrap: ${line}`);
        } else {
          const seen = itemsShown.get(verb) ?? 0;
          if (seen === 0) p.say(`debootstrap: ${line}`);
          itemsShown.set(verb, seen + 1);
        }
      },
    });
    await writes;
    endPhase();
    return { exitCode: result.exitCode, lastLines };
  } finally {
    stopHeartbeat();
  }
}

/** Marks the image and trims what a node never needs. */
async function finishBase(root: string) {
  const osRelease = join(root, "usr/lib/os-release");
  await writeFile(osRelease, withImageVersion(await readFile(osRelease, "utf8"), BASE_IMAGE_VERSION));
  // Every node gets its own machine-id from its config layer; empty means "not set" to systemd.
  await writeFile(join(root, "etc/machine-id"), "");
  const archives = join(root, "var/cache/apt/archives");
  for (const entry of await readdir(archives)) {
    if (entry.endsWith(".deb")) await rm(join(archives, entry));
  }
}

/** os-release text with IMAGE_ID=softfleet-lab and IMAGE_VERSION=version, other lines kept. */
export function withImageVersion(osRelease: string, version: string): string {
  const kept = osRelease.split("\n").filter((line) => line.trim() && !/^IMAGE_(ID|VERSION)=/.test(line));
  return [...kept, `IMAGE_ID=${IMAGE_ID}`, `IMAGE_VERSION=${version}`, ""].join("\n");
}
