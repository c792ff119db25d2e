/**
 * The built-in stager: fetches an OS image (a tarball), verifies its sha256,
 * unpacks it into the images folder, copies the machine's own files in and
 * mounts it at /run/nextroot, where the next soft-reboot switches root into it.
 */
import { mkdir, rm } from "node:fs/promises";
import { errorText, log } from "../log";
import { downloadToPartial } from "./download";
import { isNoSpace, isStageError, noSpace, StageError, type StageErrorCode, throwIfAborted } from "./errors";
import { exclusive } from "./exclusive";
import type { ImageStagerConfig } from "./image-config";
import {
  imageDir,
  installTree,
  makeUnpackDir,
  partialPath,
  readMarker,
  removeUnusedImages,
  sameFolder,
  writeMarker,
} from "./image-store";
import { clearMountPoint, type Mounter, mountTree, systemMounter } from "./mounts";
import { checkSource, type ImageSource } from "./source";
import { checkTreePath, copyKeepPaths, readTreeOsRelease } from "./tree";
import { unpackImage } from "./unpack";

export type StagePhase = "download" | "verify" | "unpack" | "mount" | "check";

export interface StageProgress {
  phase: StagePhase;
  bytesDone: number;
  bytesTotal: number | null;
}

export interface StageOptions {
  signal?: AbortSignal;
  onProgress?: (progress: StageProgress) => void;
  /** Sent with the download, e.g. the agent's Authorization. */
  headers?: Record<string, string>;
  mounter?: Mounter;
}

export interface StagedImage {
  version: string;
  dir: string;
  osRelease: Record<string, string>;
  /** Size of the downloaded archive. */
  bytes: number;
  /** The version was already unpacked from the same sha256: nothing was downloaded. */
  reused: boolean;
}

export async function stageImage(
  source: ImageSource,
  config: ImageStagerConfig,
  options: StageOptions = {},
): Promise<StagedImage> {
  // Checked before waiting for a turn: a bad request fails at once, and before any connection.
  const { url, sha256 } = checkSource(source);
  for (const path of config.keepPaths) checkTreePath(path, "keepPath");
  for (const bind of config.binds) checkTreePath(bind.target, "bind target");
  return exclusive(() => stage({ source, url, sha256 }, config, options));
}

function reporter({ onProgress }: StageOptions) {
  return (phase: StagePhase, bytesDone = 0, bytesTotal: number | null = null) =>
    onProgress?.({ phase, bytesDone, bytesTotal });
}

interface CheckedSource {
  source: ImageSource;
  url: URL;
  sha256: string;
}

async function stage(checked: CheckedSource, config: ImageStagerConfig, options: StageOptions): Promise<StagedImage> {
  const { version } = checked.source;
  const mounter = options.mounter ?? systemMounter;
  const report = reporter(options);
  const started = performance.now();
  throwIfAborted(options.signal);
  await mkdir(config.imagesDir, { recursive: true });
  const dir = imageDir(config.imagesDir, version);
  const marker = readMarker(dir);
  const reused = marker?.version === version && marker.sha256.toLowerCase() === checked.sha256;
  const bytes = reused ? (marker.bytes ?? 0) : await fetchAndUnpack(checked, config, { ...options, mounter });

  report("mount");
  await copyKeepPaths(config.hostRoot, dir, config.keepPaths);
  throwIfAborted(options.signal);
  await mountTree({ tree: dir, nextroot: config.nextroot, binds: config.binds }, mounter);

  report("check");
  try {
    throwIfAborted(options.signal);
    const osRelease = checkImageVersion(await readTreeOsRelease(config.nextroot), version, config.nextroot);
    report("check", bytes, bytes);
    log.info("image staged", {
      version,
      reused,
      bytes,
      nextroot: config.nextroot,
      ms: Math.round(performance.now() - started),
    });
    return { version, dir, osRelease, bytes, reused };
  } catch (error) {
    await clearMountPoint(config.nextroot, mounter).catch(() => {});
    throw error;
  }
}

/** Download, verify and unpack into the version's folder; returns the archive's size. */
async function fetchAndUnpack(
  { source, url, sha256 }: CheckedSource,
  config: ImageStagerConfig,
  options: StageOptions & { mounter: Mounter },
): Promise<number> {
  const { version } = source;
  const { mounter } = options;
  const report = reporter(options);
  const partial = partialPath(config.imagesDir, version);
  report("download");
  const downloaded = await downloadToPartial({
    url,
    partialPath: partial,
    headers: options.headers,
    ca: config.ca,
    bandwidthBytesPerSec: config.bandwidthBytesPerSec,
    fetchTimeoutMs: config.fetchTimeoutMs,
    signal: options.signal,
    onProgress: (done, total) => report("download", done, total),
  });
  report("verify", downloaded.bytes, downloaded.bytes);
  if (downloaded.sha256 !== sha256) {
    await rm(partial, { force: true });
    throw new StageError(
      "digest-mismatch",
      `image ${version} from ${url.origin}${url.pathname} has sha256 ${downloaded.sha256}, expected ${sha256}: ` +
        "the download was removed; check that the image and the sha256 given for it belong together",
    );
  }

  report("unpack", 0, downloaded.bytes);
  const dir = imageDir(config.imagesDir, version);
  const unpacked = await makeUnpackDir(config.imagesDir, version);
  try {
    await unpackImage(partial, unpacked, options.signal);
    checkImageVersion(await readTreeOsRelease(unpacked), version, `image ${version}`);
    throwIfAborted(options.signal);
    if (await sameFolder(dir, config.hostRoot)) {
      throw new StageError(
        "bad-version",
        `version ${version} is the running root, from another sha256: publish the new image under a new version`,
      );
    }
    // The old tree of this version may be what nextroot shows: unmount it before it goes away.
    if (await sameFolder(dir, config.nextroot)) await clearMountPoint(config.nextroot, mounter);
    await installTree(unpacked, dir);
    writeMarker(dir, { version, sha256, stagedAt: new Date().toISOString(), bytes: downloaded.bytes });
  } catch (error) {
    await rm(unpacked, { recursive: true, force: true });
    if (isNoSpace(error)) throw noSpace("unpacking the image", error);
    // The download was what was asked for, and is no image of this version: another try needs another file.
    if (isStageError(error) && contentErrors.has(error.code)) await rm(partial, { force: true });
    throw error;
  }
  report("unpack", downloaded.bytes, downloaded.bytes);
  await rm(partial, { force: true });
  return downloaded.bytes;
}

const contentErrors = new Set<StageErrorCode>(["unpack-failed", "no-os-release", "wrong-version"]);

/** The os-release fields, when they say IMAGE_VERSION=version. */
export function checkImageVersion(
  fields: Record<string, string> | null,
  version: string,
  where: string,
): Record<string, string> {
  if (!fields) {
    throw new StageError(
      "no-os-release",
      `${where} has no os-release (etc/os-release or usr/lib/os-release): it is not an OS tree, or not a whole one`,
    );
  }
  if (fields.IMAGE_VERSION !== version) {
    throw new StageError(
      "wrong-version",
      `${where} says IMAGE_VERSION=${fields.IMAGE_VERSION ?? "(none)"} in its os-release, but was staged as version ${version}: ` +
        "publish it under the version it says, or rebuild it with that IMAGE_VERSION",
    );
  }
  return fields;
}

/** Unmounts nextroot (and the binds under it). Returns whether anything was mounted there. */
export function unstage(
  config: Pick<ImageStagerConfig, "nextroot">,
  { mounter = systemMounter }: { mounter?: Mounter } = {},
): Promise<boolean> {
  return exclusive(async () => {
    if (!(await mounter.isMountPoint(config.nextroot))) return false;
    try {
      await clearMountPoint(config.nextroot, mounter);
    } catch (error) {
      throw new StageError("mount-failed", `cannot unmount ${config.nextroot}: ${errorText(error)}`, { cause: error });
    }
    log.info("nextroot unstaged", { nextroot: config.nextroot });
    return true;
  });
}

/** See removeUnusedImages; waits for a stage under way to end. */
export function removeImages(
  config: Pick<ImageStagerConfig, "imagesDir" | "nextroot" | "hostRoot">,
  keep: string[],
  protect: string[] = [],
): Promise<string[]> {
  return exclusive(() => removeUnusedImages(config, keep, protect));
}
