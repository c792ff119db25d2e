import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readTreeOsRelease, resolveInTree } from "./tree";

let tree: string;
beforeEach(() => {
  tree = mkdtempSync(join(tmpdir(), "sf-tree-"));
  mkdirSync(join(tree, "usr/lib"), { recursive: true });
  mkdirSync(join(tree, "usr/etc"), { recursive: true });
});
afterEach(() => rmSync(tree, { recursive: true, force: true }));

describe("resolveInTree", () => {
  it("follows links as if the tree were the root: absolute ones and .. never leave it", async () => {
    symlinkSync("/usr/etc", join(tree, "etc"));
    symlinkSync("../../../../../../var", join(tree, "usr/var-link"));
    expect(await resolveInTree(tree, "/etc/machine-id")).toBe(join(tree, "usr/etc/machine-id"));
    expect(await resolveInTree(tree, "/usr/var-link/lib")).toBe(join(tree, "var/lib"));
    expect(await resolveInTree(tree, "/etc", { followLast: false })).toBe(join(tree, "etc"));
  });

  it("gives up on a link loop", async () => {
    symlinkSync("/b", join(tree, "a"));
    symlinkSync("/a", join(tree, "b"));
    await expect(resolveInTree(tree, "/a/x")).rejects.toThrow(/too many symbolic links/);
  });
});

describe("readTreeOsRelease", () => {
  it("reads etc/os-release through an absolute link inside the tree, else usr/lib/os-release", async () => {
    expect(await readTreeOsRelease(tree)).toBeNull();
    writeFileSync(join(tree, "usr/lib/os-release"), 'ID=testos\nIMAGE_VERSION="7"\n');
    expect(await readTreeOsRelease(tree)).toEqual({ ID: "testos", IMAGE_VERSION: "7" });
    symlinkSync("/usr/lib/os-release", join(tree, "usr/etc/os-release"));
    symlinkSync("usr/etc", join(tree, "etc"));
    expect((await readTreeOsRelease(tree))?.IMAGE_VERSION).toBe("7");
  });
});
