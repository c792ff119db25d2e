/**
 * The images folder: one folder per version, each with a marker saying which
 * download it came from; downloads under way in .partial/. Listing, replacing
 * and removing images, never the one mounted at nextroot or the running one.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "../fsutil";
import type { ImageStagerConfig } from "./image-config";
import { readTreeOsRelease } from "./tree";

export const markerName = ".softfleet-image.json";

const imageMarkerSchema = z.object({
  version: z.string(),
  sha256: z.string(),
  stagedAt: z.string(),
  /** Size of the downloaded archive. */
  bytes: z.optional(z.number().check(z.int(), z.nonnegative())),
});
export type ImageMarker = z.infer<typeof imageMarkerSchema>;

export interface StoredImage extends ImageMarker {
  dir: string;
}

export function imageDir(imagesDir: string, version: string): string {
  return join(imagesDir, version);
}

export function partialPath(imagesDir: string, version: string): string {
  return join(imagesDir, ".partial", `${version}.img`);
}

/** A fresh folder for tar to unpack into; its name tells which version left it behind. */
export async function makeUnpackDir(imagesDir: string, version: string): Promise<string> {
  await removeUnpackLeftovers(imagesDir, version);
  const dir = join(imagesDir, `.unpack-${version}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: false, mode: 0o755 });
  return dir;
}

/** Unpack folders a crashed or killed attempt at this version left. */
async function removeUnpackLeftovers(imagesDir: string, version: string): Promise<void> {
  for (const name of await readdir(imagesDir)) {
    if (new RegExp(`^\\.unpack-${version.replace(/\./g, "\\.")}-[0-9a-f]{8}$`).test(name)) {
      await rm(join(imagesDir, name), { recursive: true, force: true });
    }
  }
}

/** The marker of an image folder, or null when there is none or it is not ours. */
export function readMarker(dir: string): ImageMarker | null {
  try {
    const parsed = imageMarkerSchema.safeParse(readJsonIfExists(join(dir, markerName)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeMarker(dir: string, marker: ImageMarker): void {
  writeFileAtomic(join(dir, markerName), `${JSON.stringify(marker, null, 2)}\n`);
}

/** Moves an unpacked tree to its version's folder; an older folder there is moved away first, then removed. */
export async function installTree(unpacked: string, dir: string): Promise<void> {
  const old = `${unpacked}.old`;
  let replaced = false;
  try {
    await rename(dir, old);
    replaced = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await rename(unpacked, dir);
  if (replaced) await rm(old, { recursive: true, force: true });
}

export async function listImages(config: Pick<ImageStagerConfig, "imagesDir">): Promise<StoredImage[]> {
  const images: StoredImage[] = [];
  for (const name of await readdirIfExists(config.imagesDir)) {
    if (name.startsWith(".")) continue;
    const dir = imageDir(config.imagesDir, name);
    const marker = readMarker(dir);
    if (marker && marker.version === name) images.push({ ...marker, dir });
  }
  return images.sort((a, b) => (a.stagedAt < b.stagedAt ? -1 : a.stagedAt > b.stagedAt ? 1 : 0));
}

/**
 * Removes the image folders (and their partial downloads) whose version is
 * in neither `keep` nor `protect`. Never removed whatever is said: the image
 * mounted at nextroot and the running one (same folder as hostRoot, or its
 * IMAGE_VERSION). Not to be run while a stage is under way. Returns the
 * versions removed.
 */
export async function removeUnusedImages(
  config: Pick<ImageStagerConfig, "imagesDir" | "nextroot" | "hostRoot">,
  keep: string[],
  protect: string[] = [],
): Promise<string[]> {
  const spared = new Set([...keep, ...protect]);
  const running = (await readTreeOsRelease(config.hostRoot).catch(() => null))?.IMAGE_VERSION;
  if (running) spared.add(running);
  const inUse = (await Promise.all([config.nextroot, config.hostRoot].map(identity))).filter((id) => id !== null);
  const removed: string[] = [];
  for (const name of await readdirIfExists(config.imagesDir)) {
    if (name.startsWith(".") || spared.has(name)) continue;
    const dir = imageDir(config.imagesDir, name);
    const id = await identity(dir);
    if (id === null || inUse.includes(id)) continue;
    if (!(await stat(dir)).isDirectory()) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  for (const name of await readdirIfExists(join(config.imagesDir, ".partial"))) {
    const version = name.replace(/\.img$/, "");
    if (!spared.has(version)) await rm(join(config.imagesDir, ".partial", name), { force: true });
  }
  return removed;
}

/** device:inode, the same for a folder and a bind mount of it; null when it does not exist. */
async function identity(path: string): Promise<string | null> {
  try {
    const { dev, ino } = await stat(path);
    return `${dev}:${ino}`;
  } catch {
    return null;
  }
}

export async function sameFolder(a: string, b: string): Promise<boolean> {
  const idA = await identity(a);
  return idA !== null && idA === (await identity(b));
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
