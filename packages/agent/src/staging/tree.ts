/**
 * Paths inside an unpacked OS tree. An image's symbolic links point into the
 * image (/etc/os-release -> ../usr/lib/os-release, or an absolute target),
 * never at the host: every path is resolved with the tree as its root.
 */
import { lstat, mkdir, readFile, readlink, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, posix } from "node:path";
import { parseOsRelease } from "../host";
import { isNoSpace, noSpace, StageError } from "./errors";
import { howItEnded, runProgram, stderrTail } from "./run";

const maxLinks = 40;

/**
 * `path` (absolute, as seen from inside the tree) resolved under `tree`,
 * following symbolic links as if `tree` were "/". Components that do not exist
 * are kept as they are. With followLast false a link at the end is not followed.
 */
export async function resolveInTree(tree: string, path: string, { followLast = true } = {}): Promise<string> {
  const pending = path.split("/").filter((part) => part && part !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const target = pending.length === 0 && !followLast ? null : await linkTarget(join(tree, ...resolved, part));
    if (target === null) {
      resolved.push(part);
      continue;
    }
    if (++links > maxLinks)
      throw new StageError("unpack-failed", `too many symbolic links resolving ${path} in the image`);
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...target.split("/").filter((p) => p && p !== "."));
  }
  return join(tree, ...resolved);
}

async function linkTarget(path: string): Promise<string | null> {
  try {
    if ((await lstat(path)).isSymbolicLink()) return await readlink(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
  }
  return null;
}

/** The fields of the tree's os-release (etc/os-release, else usr/lib/os-release), or null when it has none. */
export async function readTreeOsRelease(tree: string): Promise<Record<string, string> | null> {
  for (const candidate of ["/etc/os-release", "/usr/lib/os-release"]) {
    try {
      return parseOsRelease(await readFile(await resolveInTree(tree, candidate), "utf8"));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EISDIR") throw error;
    }
  }
  return null;
}

/** A keepPath or bind target: absolute, normal, not the root itself. */
export function checkTreePath(path: string, what: string): void {
  if (!isAbsolute(path) || posix.normalize(path) !== path || path === "/" || path.endsWith("/")) {
    throw new StageError("bad-input", `${what} ${JSON.stringify(path)} must be an absolute, normalized path below /`);
  }
}

/**
 * Copies each keepPath from the host into the tree, replacing what the image
 * has there (owner, mode, times and xattrs kept: cp -a). A path the host does
 * not have is skipped.
 */
export async function copyKeepPaths(hostRoot: string, tree: string, keepPaths: string[]): Promise<string[]> {
  const copied: string[] = [];
  for (const path of keepPaths) {
    checkTreePath(path, "keepPath");
    const source = join(hostRoot, path);
    if (!(await exists(source))) continue;
    const target = await resolveInTree(tree, path, { followLast: false });
    try {
      await rm(target, { recursive: true, force: true });
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      if (isNoSpace(error)) throw noSpace(`copying ${path} into the image`, error);
      throw error;
    }
    const result = await runProgram("cp", ["-a", "-T", "--", source, target]);
    if (result.code !== 0) {
      if (isNoSpace(undefined, result.stderr)) throw noSpace(`copying ${path} into the image`);
      throw new StageError(
        "unpack-failed",
        `cannot copy ${path} into the image (cp ${howItEnded(result)}): ${stderrTail(result.stderr)}`,
      );
    }
    copied.push(path);
  }
  return copied;
}

/** Whether the path exists (a dangling symbolic link does). */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
