/**
 * Sets up /run/nextroot: a bind mount of the staged tree (systemd >= 256
 * switches root only into a mount point), then the binds that carry state
 * into the new root. It is all or nothing: a failure unmounts everything.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { StageError } from "./errors";
import { runProgram, stderrTail } from "./run";
import { checkTreePath, resolveInTree } from "./tree";

/** The mount operations staging needs; tests may pass their own. */
export interface Mounter {
  isMountPoint(path: string): Promise<boolean>;
  bind(source: string, target: string): Promise<void>;
  makePrivate(path: string): Promise<void>;
  unmountRecursive(path: string): Promise<void>;
}

export interface Bind {
  /** A path on the running host. */
  source: string;
  /** Where it appears inside the new root, e.g. the agent's state folder. */
  target: string;
}

/** util-linux's mountpoint, mount and umount, run without a shell. */
export const systemMounter: Mounter = {
  async isMountPoint(path) {
    return (await runProgram("mountpoint", ["-q", "--", path])).code === 0;
  },
  async bind(source, target) {
    const result = await runProgram("mount", ["--bind", "--", source, target]);
    if (result.code !== 0) throw new Error(`mount --bind ${source} ${target}: ${stderrTail(result.stderr)}`);
  },
  async makePrivate(path) {
    const result = await runProgram("mount", ["--make-private", "--", path]);
    if (result.code !== 0) throw new Error(`mount --make-private ${path}: ${stderrTail(result.stderr)}`);
  },
  async unmountRecursive(path) {
    const result = await runProgram("umount", ["-R", "--", path]);
    if (result.code !== 0) throw new Error(`umount -R ${path}: ${stderrTail(result.stderr)}`);
  },
};

/** Unmounts everything at `path`, mounts stacked on each other included. */
export async function clearMountPoint(path: string, mounter: Mounter): Promise<void> {
  for (let i = 0; i < 8 && (await mounter.isMountPoint(path)); i++) await mounter.unmountRecursive(path);
  if (await mounter.isMountPoint(path)) throw new Error(`${path} is still a mount point after unmounting it 8 times`);
}

export async function mountTree(
  { tree, nextroot, binds }: { tree: string; nextroot: string; binds: Bind[] },
  mounter: Mounter,
): Promise<void> {
  for (const bind of binds) checkTreePath(bind.target, "bind target");
  try {
    await clearMountPoint(nextroot, mounter);
    await mkdir(nextroot, { recursive: true });
    await mounter.bind(tree, nextroot);
    // A bind of a folder on a shared root joins the root's peer group: the binds below would
    // show up inside the images folder too (and removing an image would reach into them).
    await mounter.makePrivate(nextroot);
    for (const bind of binds) {
      // Resolved inside the new root: a link in the image never sends the mount onto the host.
      const target = await resolveInTree(nextroot, bind.target);
      await makeMountTarget(bind.source, target);
      await mounter.bind(bind.source, target);
    }
  } catch (error) {
    await clearMountPoint(nextroot, mounter).catch(() => {});
    throw new StageError(
      "mount-failed",
      `cannot set up ${nextroot}: ${(error as Error).message}; nothing is left mounted there`,
      { cause: error },
    );
  }
}

/** A folder for a folder, an empty file for a file: a bind mount needs a target of the same kind. */
async function makeMountTarget(source: string, target: string): Promise<void> {
  const kind = await stat(source).catch(() => {
    throw new Error(`bind source ${source} does not exist`);
  });
  if (kind.isDirectory()) {
    await mkdir(target, { recursive: true });
  } else {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, "", { flag: "a" });
  }
}
