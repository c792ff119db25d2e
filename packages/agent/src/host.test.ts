import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  parseMountPoints,
  parseOsRelease,
  readBootId,
  readHostname,
  readMachineId,
  readNextroot,
  readOsRelease,
} from "./host";
import { FAKE_BOOT_ID, FAKE_MACHINE_ID, makeFakeHost } from "./testing/fake-host";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sf-host-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("host facts", () => {
  it("reads identity files under the root prefix", () => {
    makeFakeHost(root);
    const host = { root };
    expect(readMachineId(host)).toBe(FAKE_MACHINE_ID);
    expect(readBootId(host)).toBe(FAKE_BOOT_ID);
    expect(readHostname(host)).toBe("node-7");
    expect(readOsRelease(host)).toEqual({ id: "debian", versionId: "13", imageId: "fleet", imageVersion: "1" });
  });

  it("falls back to /usr/lib/os-release", () => {
    mkdirSync(join(root, "usr/lib"), { recursive: true });
    writeFileSync(join(root, "usr/lib/os-release"), "ID=arch\n");
    expect(readOsRelease({ root })).toEqual({ id: "arch", versionId: null, imageId: null, imageVersion: null });
  });

  it("parses os-release quoting and escapes", () => {
    expect(parseOsRelease(`# c\nA="x \\"y\\" \\$z"\nB='q'\nC=plain\n bad line\n`)).toEqual({
      A: 'x "y" $z',
      B: "q",
      C: "plain",
    });
  });

  it("counts /run/nextroot only as a mount point holding an os-release", () => {
    const host = makeFakeHost(root);
    expect(readNextroot({ root })).toEqual({ staged: false, imageVersion: null });
    // A plain folder with an os-release is not set up: PID 1 would not switch into it.
    mkdirSync(join(root, "run/nextroot/etc"), { recursive: true });
    writeFileSync(join(root, "run/nextroot/etc/os-release"), "IMAGE_VERSION=9\n");
    expect(readNextroot({ root })).toEqual({ staged: false, imageVersion: null });
    host.unstageNextroot();
    host.stageNextroot("2");
    expect(readNextroot({ root })).toEqual({ staged: true, imageVersion: "2" });
  });

  it("undoes mountinfo's octal escapes", () => {
    expect(parseMountPoints("1 2 0:1 / /run/with\\040space rw - tmpfs x rw\n").has("/run/with space")).toBe(true);
  });
});
