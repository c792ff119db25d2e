/**
 * Downloads an image into a partial file, hashing while it streams, resuming
 * a partial file left by an interrupted attempt (Range: bytes=N-), capped in
 * bandwidth and failing when the server sends no byte for fetchTimeoutMs.
 */
import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { dirname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorText } from "../log";
import { abortedError, isNoSpace, isStageError, noSpace, StageError, throwIfAborted } from "./errors";
import { throttleStream } from "./throttle";

export interface DownloadOptions {
  url: URL;
  partialPath: string;
  headers?: Record<string, string>;
  /** PEM of the CA for https; absent: the system's CAs. */
  ca?: string | Buffer;
  bandwidthBytesPerSec: number | null;
  /** No byte for this long (connecting, waiting for headers or streaming): fail. */
  fetchTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number | null) => void;
}

export interface Downloaded {
  sha256: string;
  bytes: number;
  /** Bytes already in the partial file that the server let us keep (0: from the start). */
  resumedFrom: number;
}

const progressIntervalMs = 100;

export async function downloadToPartial(options: DownloadOptions): Promise<Downloaded> {
  try {
    return await download(options);
  } catch (error) {
    // Whatever broke once the signal fired (a read, a sleep, a socket) is the abort's doing.
    if (options.signal?.aborted && !isStageError(error, "no-space")) throw abortedError();
    throw error;
  }
}

async function download(options: DownloadOptions): Promise<Downloaded> {
  throwIfAborted(options.signal);
  await mkdir(dirname(options.partialPath), { recursive: true });
  // Twice at most: a server that will not resume where we are gets one fresh start.
  for (let attempt = 0; ; attempt++) {
    const offset = attempt === 0 ? await sizeIfExists(options.partialPath) : 0;
    const result = await downloadFrom(options, offset);
    if (result !== "restart") return result;
    if (attempt > 0)
      throw new StageError("download-failed", `${where(options.url)} did not serve the image from byte 0`);
    await rm(options.partialPath, { force: true });
  }
}

async function downloadFrom(options: DownloadOptions, offset: number): Promise<Downloaded | "restart"> {
  const watchdog = new Watchdog(options.fetchTimeoutMs);
  const response = await openResponse(options, offset, watchdog);
  const { res } = response;
  const status = res.statusCode ?? 0;
  let total = contentLength(res);
  const hash = createHash("sha256");
  if (offset > 0 && status === 416) {
    watchdog.stop();
    res.resume();
    // The partial file may already hold the whole image (the last attempt died before verifying).
    if (rangeTotal(res.headers["content-range"]) !== offset) return "restart";
    await hashFile(options.partialPath, hash, options.signal);
    options.onProgress?.(offset, offset);
    return { sha256: hash.digest("hex"), bytes: offset, resumedFrom: offset };
  }
  if (status === 206 && offset > 0) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers["content-range"] ?? "");
    if (!range || Number(range[1]) !== offset) {
      watchdog.stop();
      res.destroy();
      return "restart";
    }
    total = range[2] === "*" ? (total === null ? null : offset + total) : Number(range[2]);
    watchdog.stop();
    await hashFile(options.partialPath, hash, options.signal);
    watchdog.start(() => res.destroy(watchdog.error(options.url)));
  } else if (status === 200) {
    offset = 0;
  } else {
    watchdog.stop();
    res.resume();
    const redirect = status >= 300 && status < 400 ? " (redirects are not followed: give the final URL)" : "";
    throw new StageError(
      "download-failed",
      `${where(options.url)} answered HTTP ${status} ${res.statusMessage ?? ""}`.trim() + redirect,
    );
  }
  return streamToFile(options, res, { offset, total, hash, watchdog });
}

async function streamToFile(
  options: DownloadOptions,
  res: IncomingMessage,
  state: { offset: number; total: number | null; hash: Hash; watchdog: Watchdog },
): Promise<Downloaded> {
  const { offset, total, hash, watchdog } = state;
  let bytes = offset;
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastReport < progressIntervalMs) return;
    lastReport = now;
    options.onProgress?.(bytes, total);
  };
  report(true);
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      watchdog.touch();
      report(false);
      callback(null, chunk);
    },
  });
  // Large writes: an OS image is hundreds of MB, and 16 KB writes cost more than the network here.
  const file = createWriteStream(options.partialPath, { flags: offset > 0 ? "a" : "w", highWaterMark: 4 << 20 });
  // The pipeline passes one stream's error on to the others: the first one heard is where it began.
  let fileError: unknown;
  let failed = false;
  res.once("error", () => {
    failed = true;
  });
  file.once("error", (error) => {
    if (!failed) fileError = error;
    failed = true;
  });
  const cap = options.bandwidthBytesPerSec;
  try {
    if (cap !== null && cap > 0) await pipeline(res, throttleStream(cap, options.signal), meter, file);
    else await pipeline(res, meter, file);
  } catch (error) {
    await closed(file);
    if (options.signal?.aborted) throw abortedError();
    if (isNoSpace(fileError ?? error)) {
      await rm(options.partialPath, { force: true });
      throw noSpace("writing the download", fileError ?? error);
    }
    if (fileError) {
      throw new StageError("download-failed", `cannot write ${options.partialPath}: ${errorText(fileError)}`);
    }
    if (watchdog.fired) throw watchdog.error(options.url);
    throw truncated(options.url, bytes, total, error);
  } finally {
    watchdog.stop();
  }
  if (total !== null && bytes < total) throw truncated(options.url, bytes, total);
  report(true);
  return { sha256: hash.digest("hex"), bytes, resumedFrom: offset };
}

function openResponse(options: DownloadOptions, offset: number, watchdog: Watchdog): Promise<{ res: IncomingMessage }> {
  const { url } = options;
  const headers: Record<string, string> = { ...options.headers, "accept-encoding": "identity" };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  return new Promise((resolve, reject) => {
    const settle = (error: unknown) => {
      watchdog.stop();
      if (options.signal?.aborted) reject(abortedError());
      else if (watchdog.fired) reject(watchdog.error(url));
      else
        reject(new StageError("download-failed", `cannot fetch ${where(url)}: ${errorText(error)}`, { cause: error }));
    };
    const request =
      url.protocol === "https:"
        ? https.get(url, { headers, agent: false, ca: options.ca, signal: options.signal }, (res) => resolve({ res }))
        : http.get(url, { headers, agent: false, signal: options.signal }, (res) => resolve({ res }));
    // Errors after the response are the body's, seen by the pipeline; this only settles the first.
    request.on("error", settle);
    watchdog.start(() => request.destroy(watchdog.error(url)));
  });
}

/** Fires when no byte has come for `timeoutMs`; touch() on every byte. */
class Watchdog {
  fired = false;
  private timer: NodeJS.Timeout | undefined;
  private onFire: (() => void) | undefined;

  constructor(readonly timeoutMs: number) {}

  start(onFire: () => void): void {
    this.onFire = onFire;
    this.touch();
  }

  touch(): void {
    if (!this.onFire) return;
    // Called for every chunk: re-arm the same timer (cheap) rather than make a new one.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onFire?.();
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onFire = undefined;
  }

  error(url: URL): StageError {
    return new StageError("download-failed", `no data from ${where(url)} for ${this.timeoutMs} ms: gave up`);
  }
}

function truncated(url: URL, bytes: number, total: number | null, cause?: unknown): StageError {
  return new StageError(
    "truncated",
    `the download from ${where(url)} ended after ${bytes} of ${total ?? "unknown"} bytes` +
      `${cause ? ` (${reason(cause)})` : ""}; the partial file is kept and the next attempt resumes`,
    { cause },
  );
}

/** Where a URL points, without its query (which may carry a token). */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Node names a connection cut mid-body "aborted": its code (ECONNRESET) says more. */
function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? errorText(error);
}

function contentLength(res: IncomingMessage): number | null {
  const value = res.headers["content-length"];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

function rangeTotal(contentRange: string | undefined): number | null {
  const match = /^bytes \*\/(\d+)$/.exec(contentRange ?? "");
  return match ? Number(match[1]) : null;
}

async function sizeIfExists(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

async function hashFile(path: string, hash: Hash, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
}

async function closed(file: WriteStream): Promise<void> {
  if (!file.closed) await once(file, "close").catch(() => {});
}
