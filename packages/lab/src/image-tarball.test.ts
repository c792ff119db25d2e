import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checksumLine, tarballName } from "./image-tarball";
import { buildImage, buildImageTarball, IN_NODE, labPrerequisites } from "./index";
import { keepPathsOf, writeConfigLayer } from "./node-config";

// What agents download: the node OS as a tar file, and what each node keeps of its own when it stages one.

const nodeConfig = {
  name: "sf-lab-61",
  controlUrl: "https://10.213.0.1:3001",
  caPem: "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n",
  ports: { survivor: 18061, ordinary: 19061, fdstore: 20061, container: 21061, portable: 22061 },
  address: "10.213.1.61",
  portableImageName: "portable-0123456789abcdef",
  softfleetLayerName: "softfleet-0123456789abcdef",
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe("the node's config layer and staged images", () => {
  it("tells the agent where to unpack images and to keep every file of the node's own layer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "softfleet-lab-config-"));
    try {
      await writeConfigLayer(dir, nodeConfig);
      const agent = JSON.parse(await readFile(join(dir, "etc/softfleet/agent.json"), "utf8"));
      expect(agent.staging.imagesDir).toBe(IN_NODE.images);
      expect(IN_NODE.images.startsWith("/run/host/")).toBe(true);
      const keepPaths: string[] = agent.staging.keepPaths;
      expect(keepPaths).toEqual(expect.arrayContaining(["/etc/machine-id", "/etc/hostname", "/etc/softfleet"]));
      expect(keepPaths).toContain("/etc/systemd/network/10-softfleet-lab.network");
      // Every file the layer holds is kept, itself or by its directory; nothing else is listed.
      const files = await filesUnder(dir);
      for (const file of files) {
        expect(
          keepPaths.some((path) => `/${file}` === path || `/${file}`.startsWith(`${path}/`)),
          file,
        ).toBe(true);
      }
      const listed = new Set(files.flatMap((file) => [`/${file}`, `/${dirname(file)}`]));
      for (const path of keepPaths) expect(listed.has(path), path).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lists a file under a directory kept whole once, as that directory", () => {
    expect(
      keepPathsOf(["etc/softfleet/agent.json", "etc/hostname", "etc/softfleet/demo.env", "etc/softfleetish"]),
    ).toEqual(["/etc/hostname", "/etc/softfleet", "/etc/softfleetish"]);
  });

  it("names tarballs and writes their checksum as sha256sum does", () => {
    expect(tarballName("5")).toBe("softfleet-lab-5.tar");
    expect(checksumLine("ab".repeat(32), "/var/cache/softfleet-lab/images/softfleet-lab-5.tar")).toBe(
      `${"ab".repeat(32)}  softfleet-lab-5.tar\n`,
    );
  });

  it("refuses a version that is no file name control serves", async () => {
    await expect(buildImageTarball({ version: "../5" })).rejects.toThrow(/use letters, digits/);
    await expect(buildImageTarball({ version: "5~rc1" })).rejects.toThrow(/letters, digits and \. _ - only/);
  });
});

describe.skipIf(!labPrerequisites().ok)("lab image: the node OS as a tar file", () => {
  it("writes version 5 with IMAGE_VERSION=5 and a checksum sha256sum accepts, reused while the layers stay", async () => {
    await buildImage();
    const tarball = await buildImageTarball({ version: "5" });
    expect(tarball).toMatchObject({ version: "5", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const listing = execFileSync("tar", ["-tf", tarball.file], { encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
    expect(listing).toEqual(expect.arrayContaining(["./etc/os-release", "./usr/lib/os-release", "./usr/bin/"]));
    expect(listing).toContain("./usr/lib/softfleet/softfleet-agent.mjs");
    // The node's own layer is not in it: the agent keeps those files from the node.
    expect(listing).not.toContain("./etc/softfleet/agent.json");
    const osRelease = execFileSync("tar", ["-xOf", tarball.file, "./usr/lib/os-release"], { encoding: "utf8" });
    expect(osRelease).toMatch(/^IMAGE_VERSION=5$/m);
    execFileSync("sha256sum", ["-c", `${tarball.file}.sha256`], { cwd: dirname(tarball.file) });

    const started = performance.now();
    expect(await buildImageTarball({ version: "5" })).toEqual(tarball);
    expect(performance.now() - started).toBeLessThan(1_000);
  }, 120_000);
});
