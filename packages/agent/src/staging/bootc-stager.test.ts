// bootc is not installed on this machine: the parser is tested with a fixture
// shaped like bootc's own `status --json` (crates/lib/src/spec.rs, apiVersion
// org.containers.bootc/v1), and stageWithBootc with a stand-in shell script.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bootcAvailable, parseBootcStatus, stageWithBootc } from "./bootc-stager";
import { StageError } from "./errors";

const fixture = readFileSync(new URL("./fixtures/bootc-status-staged.json", import.meta.url), "utf8");

function withStaged(change: (staged: Record<string, unknown>) => void): string {
  const status = JSON.parse(fixture);
  change(status.status.staged);
  return JSON.stringify(status);
}

describe("parseBootcStatus", () => {
  it("reads the staged deployment: image, version, soft-reboot capability", () => {
    expect(parseBootcStatus(fixture)).toEqual({
      staged: true,
      version: "nightly.2",
      image: "quay.io/example/someimage:latest",
      imageDigest: "sha256:16dc2b6256b4ff0d2ec18d2dbfb06d117904010c8cf9732cdb022818cf7a7566",
      softRebootCapable: true,
    });
  });

  it("says null for the capability when bootc is older than the field (< 1.2)", () => {
    const old = withStaged((staged) => {
      delete staged.softRebootCapable;
      delete staged.downloadOnly;
    });
    expect(parseBootcStatus(old)).toMatchObject({ staged: true, softRebootCapable: null });
  });

  it("nothing staged: staged false", () => {
    const status = JSON.parse(fixture);
    status.status.staged = null;
    expect(parseBootcStatus(JSON.stringify(status))).toEqual({
      staged: false,
      version: null,
      image: null,
      imageDigest: null,
      softRebootCapable: null,
    });
  });

  it("rejects output that is not bootc's status", () => {
    expect(() => parseBootcStatus("not json")).toThrow(StageError);
    expect(() => parseBootcStatus('{"status": {"staged": {"image": 3}}}')).toThrow(/status\.staged\.image/);
  });
});

describe("stageWithBootc (a stand-in bootc)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sf-bootc-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeBootc(status: string, upgradeExit = 0): string {
    writeFileSync(join(dir, "status.json"), status);
    const script = join(dir, "bootc");
    writeFileSync(
      script,
      `#!/bin/sh\necho "$@" >> ${dir}/calls\ncase "$1" in\n  upgrade) echo "Fetching image"; exit ${upgradeExit} ;;\n  status) cat ${dir}/status.json ;;\nesac\n`,
    );
    chmodSync(script, 0o755);
    return script;
  }

  it("upgrades with --soft-reboot=auto, then reports what was staged", async () => {
    const bootc = fakeBootc(fixture);
    const lines: string[] = [];
    const result = await stageWithBootc({ timeoutSec: 10, bootc }, { onOutput: (line) => lines.push(line) });
    expect(result).toMatchObject({ staged: true, version: "nightly.2", softRebootCapable: true });
    expect(readFileSync(join(dir, "calls"), "utf8")).toBe("upgrade --soft-reboot=auto\nstatus --json\n");
    expect(lines).toEqual(["Fetching image"]);
    expect(bootcAvailable(dir)).toBe(true);
    expect(bootcAvailable(join(dir, "nowhere"))).toBe(false);
  });

  it("a staged deployment that cannot be soft-rebooted into is not-soft-reboot-capable", async () => {
    const bootc = fakeBootc(withStaged((staged) => Object.assign(staged, { softRebootCapable: false })));
    await expect(stageWithBootc({ timeoutSec: 10, bootc })).rejects.toMatchObject({
      code: "not-soft-reboot-capable",
    });
  });

  it("a failing upgrade is command-failed", async () => {
    const bootc = fakeBootc(fixture, 1);
    await expect(stageWithBootc({ timeoutSec: 10, bootc })).rejects.toMatchObject({ code: "command-failed" });
  });
});
