import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DownloadOptions, downloadToPartial } from "./download";
import { type ImageServer, type Route, rejection, startImageServer } from "./test-image-server";

const body = randomBytes(400 * 1024);
const sha256 = createHash("sha256").update(body).digest("hex");

let dir: string;
let server: ImageServer;
let partialPath: string;

async function serve(routes: Record<string, Route>) {
  server = await startImageServer(routes);
}

function options(path: string, more: Partial<DownloadOptions> = {}): DownloadOptions {
  return { url: new URL(server.url(path)), partialPath, bandwidthBytesPerSec: null, fetchTimeoutMs: 5000, ...more };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-download-"));
  partialPath = join(dir, ".partial", "2.img");
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("downloadToPartial", () => {
  it("downloads, hashing as it goes, with the caller's headers", async () => {
    await serve({ "/2.img": { body } });
    const result = await downloadToPartial(options("/2.img", { headers: { authorization: "Bearer node-secret" } }));
    expect(result).toEqual({ sha256, bytes: body.length, resumedFrom: 0 });
    expect(readFileSync(partialPath).equals(body)).toBe(true);
    expect(server.requests).toEqual([{ path: "/2.img", range: null, authorization: "Bearer node-secret" }]);
  });

  it("a cut connection is truncated and keeps the partial; the next attempt resumes with Range", async () => {
    await serve({ "/2.img": { body, cut: { afterBytes: 150_000, times: 1 } } });
    const error = await rejection(downloadToPartial(options("/2.img")));
    expect(error.code).toBe("truncated");
    expect(error.message).toMatch(/of 409600 bytes/);
    const kept = statSync(partialPath).size;
    expect(kept).toBeGreaterThan(0);

    const progress: [number, number | null][] = [];
    const result = await downloadToPartial(options("/2.img", { onProgress: (d, t) => progress.push([d, t]) }));
    expect(server.requests[1]!.range).toBe(`bytes=${kept}-`);
    expect(result).toEqual({ sha256, bytes: body.length, resumedFrom: kept });
    expect(readFileSync(partialPath).equals(body)).toBe(true);
    expect(progress[0]).toEqual([kept, body.length]);
    expect(progress.at(-1)).toEqual([body.length, body.length]);
  });

  it("a partial that already holds the whole file is hashed, not fetched again (416)", async () => {
    await serve({ "/2.img": { body } });
    await downloadToPartial(options("/2.img"));
    const result = await downloadToPartial(options("/2.img"));
    expect(result).toEqual({ sha256, bytes: body.length, resumedFrom: body.length });
    expect(server.requests[1]!.range).toBe(`bytes=${body.length}-`);
  });

  it("a server that ignores Range (200) restarts from zero", async () => {
    await serve({ "/2.img": { body, ranges: false } });
    mkdirSync(dirname(partialPath), { recursive: true });
    writeFileSync(partialPath, randomBytes(1000));
    const result = await downloadToPartial(options("/2.img"));
    expect(server.requests[0]!.range).toBe("bytes=1000-");
    expect(result).toEqual({ sha256, bytes: body.length, resumedFrom: 0 });
    expect(readFileSync(partialPath).equals(body)).toBe(true);
  });

  it("a non-2xx status is download-failed naming the status", async () => {
    await serve({});
    const error = await rejection(downloadToPartial(options("/missing.img")));
    expect(error.code).toBe("download-failed");
    expect(error.message).toMatch(/HTTP 404/);
  });

  it("a server that stops sending is download-failed after fetchTimeoutMs", async () => {
    await serve({ "/2.img": { body, stallAfterBytes: 10_000 } });
    const started = performance.now();
    const error = await rejection(downloadToPartial(options("/2.img", { fetchTimeoutMs: 300 })));
    expect(error.code).toBe("download-failed");
    expect(error.message).toMatch(/no data .* for 300 ms/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("an abort during the download rejects with aborted", async () => {
    await serve({ "/2.img": { body, stallAfterBytes: 50_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    const error = await rejection(downloadToPartial(options("/2.img", { signal: controller.signal })));
    expect(error.code).toBe("aborted");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(statSync(partialPath).size).toBe(50_000);
  });

  it("keeps the average rate under the bandwidth cap", async () => {
    await serve({ "/2.img": { body } });
    const started = performance.now();
    const result = await downloadToPartial(options("/2.img", { bandwidthBytesPerSec: 200 * 1024 }));
    const seconds = (performance.now() - started) / 1000;
    expect(result.sha256).toBe(sha256);
    // 400 KiB at 200 KiB/s, less the first burst (a tenth of a second): a lower bound cannot flake.
    expect(seconds).toBeGreaterThanOrEqual(1.5);
    expect(existsSync(partialPath)).toBe(true);
  });
});
