import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROTOCOL_VERSION } from "@softfleet/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { resolveImageUrl } from "./stage-command";
import { runStageWorker } from "./stage-worker";
import { buildImage, type ImageServer, startImageServer } from "./staging/test-image-server";
import { until } from "./testing/gateway";
import { createNode, type Node } from "./testing/harness";

/**
 * A stage command from the (stand-in) gateway through the real agent to the
 * real stager, run in-process here instead of in softfleet-stager@.service:
 * a real download from a loopback server, a real unpack and a real bind
 * mount, on a stand-in nextroot in a temporary folder.
 */
const isRoot = process.getuid?.() === 0;
let node: Node | undefined;
let server: ImageServer | undefined;
let scratch = "";
afterEach(async () => {
  await node?.close();
  await server?.close();
  if (scratch) {
    execFileSync("sh", ["-c", `umount -R ${scratch}/nextroot 2>/dev/null || true`]);
    rmSync(scratch, { recursive: true, force: true });
  }
  node = undefined;
  server = undefined;
  scratch = "";
});

function stage(id: string, url: string, sha256: string, bandwidthBytesPerSec: number | null = null) {
  node!.gateway.send({
    kind: "command",
    v: PROTOCOL_VERSION,
    id,
    command: { type: "stage", version: "2", url, sha256, bandwidthBytesPerSec },
  });
}

const results = () => node!.events("stage-result").map(([, event]) => event);
const answers = () => node!.events("command-result").map(([, event]) => event);

describe.skipIf(!isRoot)("a stage command", () => {
  it("accepts, reports progress, mounts the image at nextroot and reports it staged", async () => {
    scratch = mkdtempSync(join(tmpdir(), "sf-stage-cmd-"));
    mkdirSync(join(scratch, "nextroot"));
    const image = buildImage(scratch, { blobBytes: 2_000_000 });
    server = await startImageServer({ "/os-2.tar.gz": { body: image.body } });
    node = await createNode({
      launchStager: async (commandId, config) => {
        void runStageWorker(config, commandId, {
          nextroot: join(scratch, "nextroot"),
          hostRoot: scratch,
          progressEveryMs: 0,
        });
      },
    });
    await node.start();
    await node.connected();
    // Capped at 1 MB/s, the 2 MB image takes about 2 s: long enough to see its progress.
    stage("stage-cmd-0001", server.url("/os-2.tar.gz"), image.sha256, 1_000_000);
    await until(() => results().length === 1, 15_000, "the stage result").catch((error) => {
      throw new Error(`${error.message}\n${node!.logs.join("\n")}`);
    });
    expect(answers()).toEqual([
      { type: "command-result", commandId: "stage-cmd-0001", outcome: "accepted", reason: null },
    ]);
    expect(results()[0]).toMatchObject({ outcome: "staged", version: "2", code: null, bytes: image.body.length });
    // The image is what nextroot shows now.
    expect(readFileSync(join(scratch, "nextroot/usr/lib/os-release"), "utf8")).toContain("IMAGE_VERSION=2");
    // Progress went to the gateway as it happened: the download's bytes growing, against the image's size.
    const downloads = node.gateway.frames.flatMap((f) =>
      f.kind === "stage-progress" && f.phase === "download" ? [f] : [],
    );
    expect(downloads.length).toBeGreaterThan(1);
    expect(downloads.every((p) => p.bytesTotal === image.body.length)).toBe(true);
    const done = downloads.map((p) => p.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)!).toBeGreaterThan(done[0]!);
  });

  it("reports a wrong digest as failed with the stager's reason, nothing mounted", async () => {
    scratch = mkdtempSync(join(tmpdir(), "sf-stage-cmd-"));
    mkdirSync(join(scratch, "nextroot"));
    const image = buildImage(scratch);
    server = await startImageServer({ "/os-2.tar.gz": { body: image.body } });
    node = await createNode({
      launchStager: async (commandId, config) => {
        void runStageWorker(config, commandId, { nextroot: join(scratch, "nextroot"), hostRoot: scratch });
      },
    });
    await node.start();
    await node.connected();
    stage("stage-cmd-0002", server.url("/os-2.tar.gz"), "0".repeat(64));
    await until(() => results().length === 1, 15_000, "the stage result");
    expect(results()[0]).toMatchObject({ outcome: "failed", code: "digest-mismatch" });
    expect((results()[0] as { reason: string }).reason).toContain(image.sha256);
    expect(
      execFileSync("sh", ["-c", `mountpoint -q ${scratch}/nextroot && echo yes || echo no`])
        .toString()
        .trim(),
    ).toBe("no");
  });

  it("runs the operator's own staging command instead, then checks nextroot's os-release; a failing one reports its output", async () => {
    scratch = mkdtempSync(join(tmpdir(), "sf-stage-cmd-"));
    mkdirSync(join(scratch, "nextroot"));
    // What a sysupdate or ostree script would do: put a tree of the asked version at nextroot, as a mount point.
    const script = [
      `tree=${scratch}/tree-$SOFTFLEET_IMAGE_VERSION`,
      'mkdir -p "$tree/usr/lib"',
      'echo "IMAGE_VERSION=$SOFTFLEET_IMAGE_VERSION" > "$tree/usr/lib/os-release"',
      'mount --bind "$tree" "$SOFTFLEET_NEXTROOT"',
    ].join(" && ");
    let command = ["sh", "-c", script];
    node = await createNode({
      launchStager: async (commandId, config) => {
        const own = { ...config, staging: { ...config.staging, stager: { command, timeoutSec: 30 } } };
        void runStageWorker(own, commandId, { nextroot: join(scratch, "nextroot"), hostRoot: scratch });
      },
    });
    await node.start();
    await node.connected();
    stage("stage-cmd-0004", "https://images.example/os-2.tar", "a".repeat(64));
    await until(() => results().length === 1, 15_000, "the stage result");
    expect(results()[0]).toMatchObject({ outcome: "staged", version: "2", bytes: null });
    expect(readFileSync(join(scratch, "nextroot/usr/lib/os-release"), "utf8")).toBe("IMAGE_VERSION=2\n");

    command = ["sh", "-c", "echo 'sysupdate: no update for version 2 found' >&2; exit 3"];
    stage("stage-cmd-0005", "https://images.example/os-2.tar", "a".repeat(64));
    await until(() => results().length === 2, 15_000, "the second stage result");
    expect(results()[1]).toMatchObject({ outcome: "failed", code: "command-failed" });
    expect((results()[1] as { reason: string }).reason).toContain("sysupdate: no update for version 2 found");
  });

  it("reports a stager that could not start as failed", async () => {
    node = await createNode({
      launchStager: async () => {
        throw new Error("Unit softfleet-stager@.service not found.");
      },
    });
    await node.start();
    await node.connected();
    stage("stage-cmd-0003", "https://images.example/os-2.tar", "a".repeat(64));
    await until(() => results().length === 1, 5000, "the stage result");
    expect(results()[0]).toMatchObject({ outcome: "failed", code: "launch-failed" });
  });
});

describe("an image URL", () => {
  it("resolves a path against control's URL and sends the credential only to control", () => {
    expect(resolveImageUrl("/images/os-2.tar", "https://10.213.0.1:3001")).toEqual({
      url: "https://10.213.0.1:3001/images/os-2.tar",
      withCredential: true,
    });
    expect(resolveImageUrl("https://10.213.0.1:3001/images/os-2.tar", "https://10.213.0.1:3001/")).toMatchObject({
      withCredential: true,
    });
    expect(resolveImageUrl("https://mirror.example/os-2.tar", "https://10.213.0.1:3001")).toEqual({
      url: "https://mirror.example/os-2.tar",
      withCredential: false,
    });
  });
});
