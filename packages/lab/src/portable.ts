import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { removeTree } from "./fsops";
import { sha256 } from "./layers";
import { cachePaths, IMAGE_TEMPLATE_DIR } from "./layout";
import { runChecked } from "./run";

/**
 * The portable service's image: a directory tree that portablectl attaches
 * (the unit, an os-release saying which unit prefix it offers, node and the
 * demo script). It is the Debian base, hard-linked (cheap, and never written
 * through: files are only added, or replaced by new ones), plus those files.
 * It lives in the image cache, which nodes reach under /run/host: outside
 * their root, as a portable image must be to hold nothing of it.
 */

const PORTABLE_DIR = fileURLToPath(new URL("../portable", import.meta.url));
export const PORTABLE_PREFIX = "softfleet-portable";

const OS_RELEASE = [
  "ID=debian",
  "VERSION_ID=13",
  'PRETTY_NAME="softfleet lab portable service"',
  `IMAGE_ID=${PORTABLE_PREFIX}`,
  "IMAGE_VERSION=1",
  `PORTABLE_PREFIXES=${PORTABLE_PREFIX}`,
  "",
].join("\n");

async function filesOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => (entry.isDirectory() ? filesOf(join(dir, entry.name)) : [join(dir, entry.name)])),
  );
  return nested.flat();
}

/** The image's directory for this base, made once (about half a second). */
export async function ensurePortableImage(baseDir: string, baseBuiltAt: string): Promise<string> {
  const script = join(IMAGE_TEMPLATE_DIR, "usr/lib/softfleet/softfleet-demo.mjs");
  const files = [
    ...(await filesOf(PORTABLE_DIR)).map((source) => ({ path: relative(PORTABLE_DIR, source), source })),
    { path: "usr/lib/softfleet-portable/softfleet-demo.mjs", source: script },
  ];
  const listing = await Promise.all(files.map(async (f) => `${sha256(await readFile(f.source))}  ${f.path}`));
  const hash = sha256(`portable v2\n${baseBuiltAt}\n${OS_RELEASE}\n${listing.sort().join("\n")}`).slice(0, 16);
  const dir = join(cachePaths().layers, `portable-${hash}`);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial`;
  if (existsSync(partial)) await removeTree(partial);
  await runChecked("cp", ["-al", baseDir, partial]);
  // A new file in place of the base's (hard-linked) os-release: never write through a link.
  await rm(join(partial, "usr/lib/os-release"), { force: true });
  await writeFile(join(partial, "usr/lib/os-release"), OS_RELEASE);
  // systemd binds /run/host/.os-release-stage into the image: the mount point must exist there.
  await mkdir(join(partial, "run/host/.os-release-stage"), { recursive: true });
  for (const file of files) {
    const target = join(partial, file.path);
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { force: true });
    await copyFile(file.source, target);
  }
  await rename(partial, dir);
  return dir;
}

/** Portable images derive from the base: a rebuilt base drops them. */
export async function removePortableImages(): Promise<void> {
  const { layers } = cachePaths();
  for (const entry of await readdir(layers).catch(() => [])) {
    if (entry.startsWith("portable-")) await removeTree(join(layers, entry));
  }
}
