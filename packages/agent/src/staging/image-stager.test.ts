import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ImageStagerConfig } from "./image-config";
import { removeImages, type StageProgress, stageImage, unstage } from "./image-stager";
import { listImages, markerName } from "./image-store";
import { clearMountPoint, systemMounter } from "./mounts";
import { buildImage, type ImageServer, rejection, startImageServer, type TestImage } from "./test-image-server";

// Real downloads from 127.0.0.1, real tar, real bind mounts: mounting needs root.
const notRoot = process.getuid?.() !== 0;

let built: string;
let good: TestImage;
let noOsRelease: TestImage;
let wrongVersion: TestImage;
let root: string;
let config: ImageStagerConfig;
let server: ImageServer;

beforeAll(() => {
  built = mkdtempSync(join(tmpdir(), "sf-images-built-"));
  good = buildImage(built, { blobBytes: 300 * 1024, name: "good.tar.gz" });
  noOsRelease = buildImage(built, { imageVersion: null, name: "no-os-release.tar.gz" });
  wrongVersion = buildImage(built, { imageVersion: "3", name: "wrong-version.tar.gz" });
});
afterAll(() => rmSync(built, { recursive: true, force: true }));

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "sf-stage-"));
  const host = join(root, "host");
  mkdirSync(join(host, "etc/softfleet"), { recursive: true });
  writeFileSync(join(host, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
  writeFileSync(join(host, "etc/hostname"), "node-7\n");
  writeFileSync(join(host, "etc/softfleet/agent.json"), '{"controlUrl":"https://control.example"}\n');
  chmodSync(join(host, "etc/softfleet/agent.json"), 0o600);
  mkdirSync(join(root, "state"));
  writeFileSync(join(root, "state/credential.json"), "{}\n");
  config = {
    imagesDir: join(root, "images"),
    nextroot: join(root, "run/nextroot"),
    hostRoot: host,
    keepPaths: ["/etc/machine-id", "/etc/hostname", "/etc/softfleet", "/etc/not-on-this-host"],
    binds: [{ source: join(root, "state"), target: "/var/lib/softfleet-agent" }],
    bandwidthBytesPerSec: null,
    fetchTimeoutMs: 5000,
  };
  server = await startImageServer({
    "/good.tar.gz": { body: good.body },
    "/cut.tar.gz": { body: good.body, cut: { afterBytes: 100_000, times: 1 } },
    "/stall.tar.gz": { body: good.body, stallAfterBytes: 50_000 },
    "/no-os-release.tar.gz": { body: noOsRelease.body },
    "/wrong-version.tar.gz": { body: wrongVersion.body },
  });
});

afterEach(async () => {
  await server.close();
  // Unmount before removing: rm would otherwise reach through the binds.
  if (!notRoot) {
    await clearMountPoint(config.nextroot, systemMounter);
    await clearMountPoint(config.imagesDir, systemMounter);
  }
  rmSync(root, { recursive: true, force: true });
  vi.restoreAllMocks();
});

const source = (path: string, image = good) => ({ version: "2", url: server.url(path), sha256: image.sha256 });

const isMounted = (path: string) => systemMounter.isMountPoint(path);
const partial = () => join(config.imagesDir, ".partial/2.img");
const leftovers = () =>
  existsSync(config.imagesDir) ? readdirSync(config.imagesDir).filter((n) => n.startsWith(".unpack")) : [];

function mountTmpfs(path: string, size: string) {
  mkdirSync(path, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path]);
}

describe("stageImage", () => {
  it.skipIf(notRoot)(
    "downloads, verifies, unpacks and mounts the image at nextroot, with binds and keepPaths",
    async () => {
      const progress: StageProgress[] = [];
      const staged = await stageImage(source("/good.tar.gz"), config, {
        onProgress: (p) => progress.push(p),
        headers: { authorization: "Bearer node-secret" },
      });

      expect(staged).toMatchObject({ version: "2", reused: false, bytes: good.body.length });
      expect(staged.osRelease).toMatchObject({ ID: "testos", IMAGE_VERSION: "2" });
      expect(server.requests[0]).toMatchObject({ path: "/good.tar.gz", authorization: "Bearer node-secret" });
      // nextroot is a mount point showing the image (etc/os-release is a relative link in it).
      expect(await isMounted(config.nextroot)).toBe(true);
      expect(readFileSync(join(config.nextroot, "etc/os-release"), "utf8")).toContain("IMAGE_VERSION=2");
      expect(statSync(join(config.nextroot, "usr/bin/hello")).mode & 0o777).toBe(0o755);
      // The machine's own files replaced the image's; a keepPath the host lacks is skipped.
      expect(readFileSync(join(config.nextroot, "etc/hostname"), "utf8")).toBe("node-7\n");
      expect(readFileSync(join(config.nextroot, "etc/machine-id"), "utf8")).toBe("0123456789abcdef0123456789abcdef\n");
      expect(statSync(join(config.nextroot, "etc/softfleet/agent.json")).mode & 0o777).toBe(0o600);
      expect(existsSync(join(config.nextroot, "etc/not-on-this-host"))).toBe(false);
      // The bind carries the agent's state into the new root, both ways.
      const stateInNewRoot = join(config.nextroot, "var/lib/softfleet-agent");
      expect(await isMounted(stateInNewRoot)).toBe(true);
      expect(readFileSync(join(stateInNewRoot, "credential.json"), "utf8")).toBe("{}\n");
      writeFileSync(join(stateInNewRoot, "written-through"), "x");
      expect(existsSync(join(root, "state/written-through"))).toBe(true);
      // The folder, its marker; no partial, no leftovers.
      const marker = JSON.parse(readFileSync(join(config.imagesDir, "2", markerName), "utf8"));
      expect(marker).toMatchObject({ version: "2", sha256: good.sha256 });
      expect(existsSync(partial())).toBe(false);
      expect(leftovers()).toEqual([]);
      // Progress: phases in order, download bytes never going back, a final total.
      expect([...new Set(progress.map((p) => p.phase))]).toEqual(["download", "verify", "unpack", "mount", "check"]);
      const downloads = progress.filter((p) => p.phase === "download");
      for (let i = 1; i < downloads.length; i++) {
        expect(downloads[i]!.bytesDone).toBeGreaterThanOrEqual(downloads[i - 1]!.bytesDone);
      }
      expect(downloads.at(-1)).toEqual({
        phase: "download",
        bytesDone: good.body.length,
        bytesTotal: good.body.length,
      });
    },
  );

  it.skipIf(notRoot)("reuses a version already staged from the same sha256; unstage, list and remove", async () => {
    await stageImage(source("/good.tar.gz"), config);
    const again = await stageImage(source("/good.tar.gz"), config);
    expect(again).toMatchObject({ version: "2", reused: true, bytes: good.body.length });
    expect(server.requests).toHaveLength(1);
    expect(await isMounted(config.nextroot)).toBe(true);
    expect(await isMounted(join(config.nextroot, "var/lib/softfleet-agent"))).toBe(true);

    expect((await listImages(config)).map((image) => [image.version, image.sha256])).toEqual([["2", good.sha256]]);
    // The image mounted at nextroot is never removed, even when not kept.
    expect(await removeImages(config, [])).toEqual([]);
    expect(await unstage(config)).toBe(true);
    expect(await isMounted(config.nextroot)).toBe(false);
    expect(await unstage(config)).toBe(false);
    expect(await removeImages(config, [], ["2"])).toEqual([]);
    expect(await removeImages(config, [])).toEqual(["2"]);
    expect(await listImages(config)).toEqual([]);
  });

  it.skipIf(notRoot)("resumes a download the server cut half-way with a Range request", async () => {
    const cut = await rejection(stageImage(source("/cut.tar.gz"), config));
    expect(cut.code).toBe("truncated");
    const kept = statSync(partial()).size;
    expect(kept).toBeGreaterThan(0);
    expect(await isMounted(config.nextroot)).toBe(false);

    const staged = await stageImage(source("/cut.tar.gz"), config);
    expect(server.requests.map((r) => r.range)).toEqual([null, `bytes=${kept}-`]);
    expect(staged).toMatchObject({ version: "2", reused: false, bytes: good.body.length });
    expect(readFileSync(join(config.nextroot, "etc/os-release"), "utf8")).toContain("IMAGE_VERSION=2");
  });

  it("a wrong digest: digest-mismatch naming both, the partial removed, nothing at nextroot", async () => {
    const wrong = "AB".repeat(32);
    const error = await rejection(stageImage({ ...source("/good.tar.gz"), sha256: wrong }, config));
    expect(error.code).toBe("digest-mismatch");
    expect(error.message).toContain(good.sha256);
    expect(error.message).toContain(wrong.toLowerCase());
    expect(existsSync(partial())).toBe(false);
    expect(existsSync(join(config.imagesDir, "2"))).toBe(false);
    expect(existsSync(config.nextroot)).toBe(false);
  });

  it("a 404 is download-failed naming the status", async () => {
    const error = await rejection(stageImage(source("/missing.tar.gz"), config));
    expect(error.code).toBe("download-failed");
    expect(error.message).toContain("HTTP 404");
  });

  it("a tarball without os-release is no-os-release, leaving nothing behind", async () => {
    const error = await rejection(stageImage(source("/no-os-release.tar.gz", noOsRelease), config));
    expect(error.code).toBe("no-os-release");
    expect(existsSync(join(config.imagesDir, "2"))).toBe(false);
    expect(existsSync(partial())).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(existsSync(config.nextroot)).toBe(false);
  });

  it("an image whose IMAGE_VERSION is another is wrong-version, naming both", async () => {
    const error = await rejection(stageImage(source("/wrong-version.tar.gz", wrongVersion), config));
    expect(error.code).toBe("wrong-version");
    expect(error.message).toMatch(/IMAGE_VERSION=3 .*version 2/);
    expect(existsSync(join(config.imagesDir, "2"))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("refuses http to a host that is not loopback before any connection, and a version that is a path", async () => {
    const httpGet = vi.spyOn(http, "get");
    const httpsGet = vi.spyOn(https, "get");
    const insecure = await rejection(
      stageImage({ version: "2", url: "http://192.0.2.1/image.tar.gz", sha256: good.sha256 }, config),
    );
    expect(insecure.code).toBe("insecure-url");
    const badVersion = await rejection(stageImage({ ...source("/good.tar.gz"), version: "../x" }, config));
    expect(badVersion.code).toBe("bad-version");
    expect(httpGet).not.toHaveBeenCalled();
    expect(httpsGet).not.toHaveBeenCalled();
    expect(existsSync(config.imagesDir)).toBe(false);
  });

  it("an abort during the download rejects with aborted and mounts nothing", async () => {
    const controller = new AbortController();
    const error = await rejection(
      stageImage(source("/stall.tar.gz"), config, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === "download" && p.bytesDone === 0) setTimeout(() => controller.abort(), 200);
        },
      }),
    );
    expect(error.code).toBe("aborted");
    expect(existsSync(config.nextroot)).toBe(false);
  });

  it.skipIf(notRoot)("a full disk while downloading is no-space, and the partial is removed", async () => {
    mountTmpfs(config.imagesDir, "128k");
    const error = await rejection(stageImage(source("/good.tar.gz"), config));
    expect(error.code).toBe("no-space");
    expect(error.message).toMatch(/no space left on the device while writing the download/);
    expect(existsSync(partial())).toBe(false);
  });

  it.skipIf(notRoot)(
    "a full disk while unpacking is no-space: the unpacked half removed, the download kept",
    async () => {
      mountTmpfs(config.imagesDir, `${Math.ceil((good.body.length * 1.5) / 1024)}k`);
      const error = await rejection(stageImage(source("/good.tar.gz"), config));
      expect(error.code).toBe("no-space");
      expect(error.message).toMatch(/while unpacking/);
      expect(leftovers()).toEqual([]);
      expect(statSync(partial()).size).toBe(good.body.length);
      expect(await isMounted(config.nextroot)).toBe(false);
    },
  );

  it.skipIf(notRoot)("a bind that cannot be mounted is mount-failed, with nothing left mounted", async () => {
    config.binds.push({ source: join(root, "no-such-folder"), target: "/var/lib/other" });
    const error = await rejection(stageImage(source("/good.tar.gz"), config));
    expect(error.code).toBe("mount-failed");
    expect(error.message).toContain("no-such-folder");
    expect(await isMounted(config.nextroot)).toBe(false);
    expect(await isMounted(join(config.nextroot, "var/lib/softfleet-agent"))).toBe(false);
  });
});
