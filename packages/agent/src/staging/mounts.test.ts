import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Mounter, mountTree } from "./mounts";

/** Records what would be mounted; the second bind fails. */
function failingMounter(calls: string[]): Mounter {
  const mounted = new Set<string>();
  return {
    async isMountPoint(path) {
      return mounted.has(path);
    },
    async bind(source, target) {
      calls.push(`bind ${source} ${target}`);
      if (mounted.size === 1) throw new Error("mount: permission denied");
      mounted.add(target);
    },
    async makePrivate(path) {
      calls.push(`make-private ${path}`);
    },
    async unmountRecursive(path) {
      calls.push(`umount -R ${path}`);
      mounted.clear();
    },
  };
}

describe("mountTree (an injected mounter)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sf-mounts-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("unmounts everything at nextroot when a bind fails, and says mount-failed", async () => {
    const calls: string[] = [];
    const nextroot = join(dir, "nextroot");
    const promise = mountTree(
      { tree: join(dir, "tree"), nextroot, binds: [{ source: dir, target: "/var/lib/agent" }] },
      failingMounter(calls),
    );
    await expect(promise).rejects.toMatchObject({ code: "mount-failed" });
    await expect(promise).rejects.toThrow(/permission denied; nothing is left mounted there/);
    expect(calls).toEqual([
      `bind ${join(dir, "tree")} ${nextroot}`,
      `make-private ${nextroot}`,
      `bind ${dir} ${join(nextroot, "var/lib/agent")}`,
      `umount -R ${nextroot}`,
    ]);
  });

  it("refuses a bind target that is not an absolute path inside the new root", async () => {
    const calls: string[] = [];
    const promise = mountTree(
      { tree: dir, nextroot: join(dir, "n"), binds: [{ source: dir, target: "/var/../../etc" }] },
      failingMounter(calls),
    );
    await expect(promise).rejects.toMatchObject({ code: "bad-input" });
    expect(calls).toEqual([]);
  });
});
