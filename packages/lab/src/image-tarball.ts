import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { LabError } from "./errors";
import { unmountAll } from "./fsops";
import { builtImage } from "./image";
import { readJsonFile, writeJsonFile } from "./jsonfile";
import { checkVersion, ensureVersionLayer, sha256 } from "./layers";
import { cachePaths } from "./layout";
import { readManifest, writeManifest } from "./manifest";
import { isAlive } from "./proc";
import { type Progress, progress } from "./progress";
import { hostEnv, runChecked } from "./run";
import { withStateLock } from "./state";

/**
 * Version V of the node OS as one plain tar file, for agents to download and
 * stage themselves: the tree `lab stage` overlays (version V + softfleet layer
 * + base) without the node's own config layer, which the agent keeps from the
 * node it runs on (agent.json's staging.keepPaths).
 */

export interface ImageTarball {
  version: string;
  /** <cache>/images/softfleet-lab-V.tar; its sha256sum line is in FILE.sha256. */
  file: string;
  sha256: string;
  bytes: number;
}

/** What a tarball was made from: the same layers make the same tree, so it is reused. */
const sourcesSchema = z.object({
  version: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  builtAt: z.string(),
  seconds: z.number(),
  layers: z.object({ base: z.string(), softfleet: z.string(), version: z.string() }),
});
type TarballSources = z.infer<typeof sourcesSchema>;

export const tarballName = (version: string) => `softfleet-lab-${version}.tar`;

export function tarballPaths(version: string) {
  const file = join(cachePaths().images, tarballName(version));
  return { file, checksum: `${file}.sha256`, sources: `${file}.json` };
}

/** The tarball's line in sha256sum's format, so `sha256sum -c` checks it beside the file. */
export const checksumLine = (digest: string, file: string) => `${digest}  ${basename(file)}\n`;

/** Makes (or reuses) <cache>/images/softfleet-lab-V.tar for IMAGE_VERSION=V. */
export async function buildImageTarball(options: { version: string }): Promise<ImageTarball> {
  checkVersion(options.version);
  if (/[~+]/.test(options.version)) {
    throw new LabError(
      "bad-input",
      `--version ${options.version}: an image's version is part of a file name control serves, which takes letters, digits and . _ - only`,
    );
  }
  // Under the lab's lock (a few seconds): `build` must not prune a layer tar is reading.
  return withStateLock(() => makeTarball(options.version));
}

async function makeTarball(version: string): Promise<ImageTarball> {
  const image = await builtImage();
  const p = progress("lab image");
  const versionLayer = await ensureVersionLayer(version, image.base.dir);
  const layers = {
    // The base is rebuilt whole or not at all: when it was built names it.
    base: `built ${image.base.builtAt}`,
    softfleet: image.softfleet.hash,
    version: sha256(await readTree(versionLayer)),
  };
  const paths = tarballPaths(version);
  const previous = await readJsonFile(paths.sources, sourcesSchema).catch(() => undefined);
  const reusable = previous && sameLayers(previous.layers, layers) && (await sizeOf(paths.file)) === previous.bytes;
  if (reusable && existsSync(paths.checksum)) {
    p.say(`${paths.file}: up to date (${megabytes(previous.bytes)}, sha256 ${previous.sha256.slice(0, 16)}…)`);
    return { version, file: paths.file, sha256: previous.sha256, bytes: previous.bytes };
  }

  await mkdir(cachePaths().images, { recursive: true });
  await removeAbandonedPartials(paths.file);
  const started = performance.now();
  const lower = [versionLayer, image.softfleet.dir, image.base.dir];
  const written = await withReadOnlyOverlay(lower, (tree) => writeTarball(tree, paths.file, p));
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  await writeFile(paths.checksum, checksumLine(written.sha256, paths.file));
  const sources: TarballSources = { version, ...written, builtAt: new Date().toISOString(), seconds, layers };
  await writeJsonFile(paths.sources, sources);
  const manifest = await readManifest();
  manifest.images = { ...manifest.images, [version]: { file: paths.file, ...written, builtAt: sources.builtAt } };
  await writeManifest(manifest);
  p.say(`${paths.file}: ${megabytes(written.bytes)} in ${seconds} s, sha256 ${written.sha256}`);
  return { version, file: paths.file, ...written };
}

const sameLayers = (a: TarballSources["layers"], b: TarballSources["layers"]) =>
  a.base === b.base && a.softfleet === b.softfleet && a.version === b.version;

/** Mounts lower (top first) read-only on a fresh directory, runs fn on it, and always unmounts. */
async function withReadOnlyOverlay<T>(lower: string[], fn: (tree: string) => Promise<T>): Promise<T> {
  const mountPoint = await mkdtemp(join(tmpdir(), "softfleet-lab-image-"));
  try {
    const options = `ro,lowerdir=${lower.join(":")}`;
    await runChecked("mount", ["-t", "overlay", "softfleet-lab-image", "-o", options, mountPoint]);
    return await fn(mountPoint);
  } finally {
    await unmountAll(mountPoint);
    await rmdir(mountPoint);
  }
}

/**
 * tar's output is hashed and counted on its way to FILE.<pid>.partial, which is
 * synced and renamed into place only when tar succeeded: a reader never sees
 * half a tarball, and two builders at once do not write into one file.
 */
async function writeTarball(tree: string, file: string, p: Progress): Promise<{ sha256: string; bytes: number }> {
  const partial = `${file}.${process.pid}.partial`;
  const hash = createHash("sha256");
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  // Numeric owners: the image's uids are Debian's, not this host's names. --xattrs keeps
  // file capabilities; --sort=name makes the same tree the same bytes.
  const args = [
    "--numeric-owner",
    "--xattrs",
    "--xattrs-include=*",
    "--acls",
    "--sort=name",
    "-cf",
    "-",
    "-C",
    tree,
    ".",
  ];
  p.say(`tar ${args.join(" ")} > ${partial}`);
  const tar = spawn("tar", args, { env: hostEnv({ LC_ALL: "C" }), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  tar.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>((resolve, reject) => {
    tar.once("error", (error) => reject(new LabError("command-failed", `could not run tar: ${error.message}`)));
    tar.once("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const stopHeartbeat = p.heartbeat(() => `tar: ${megabytes(bytes)} written`, 2_000);
  try {
    const [, exitCode] = await Promise.all([pipeline(tar.stdout, count, createWriteStream(partial)), exited]);
    if (exitCode !== 0) {
      throw new LabError("command-failed", `tar exited with ${exitCode} making ${file}: ${stderr.trim().slice(-500)}`);
    }
    const handle = await open(partial, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, file);
    return { sha256: hash.digest("hex"), bytes };
  } catch (error) {
    tar.kill("SIGKILL");
    await rm(partial, { force: true });
    throw error;
  } finally {
    stopHeartbeat();
  }
}

/** Partial files of builders that died (their pid is gone). */
async function removeAbandonedPartials(file: string) {
  const dir = join(file, "..");
  const prefix = `${basename(file)}.`;
  for (const entry of await readdir(dir)) {
    const pid = Number(/^(\d+)\.partial$/.exec(entry.slice(prefix.length))?.[1]);
    if (entry.startsWith(prefix) && pid > 0 && !isAlive(pid)) await rm(join(dir, entry), { force: true });
  }
}

/** The version layer's content, as one string to hash (it is a handful of small files). */
async function readTree(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const parts = await Promise.all(
    files.sort().map(async (path) => `${path.slice(dir.length)}\n${sha256(await readFile(path))}`),
  );
  return parts.join("\n");
}

async function sizeOf(path: string): Promise<number | undefined> {
  return existsSync(path) ? (await stat(path)).size : undefined;
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
