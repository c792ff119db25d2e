import type { FileHandle } from "node:fs/promises";
import { open, realpath } from "node:fs/promises";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Db } from "@softfleet/db";
import { parseByteRange } from "./byte-range";
import { authenticate } from "./gateway/authenticate";
import { sendJson } from "./gateway/http";

/**
 * OS images for enrolled agents to stage: GET/HEAD /images/<name> serves a
 * file of one directory (SOFTFLEET_IMAGES_DIR) to a request carrying a node's
 * credential, whole or by one byte range, so a download cut off resumes.
 */

export const IMAGES_PATH = "/images/";
const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Downloads at once: a node staging (or retrying) cannot take every slot, nor can the fleet the disk. */
export interface ImageDownloadLimits {
  perNode: number;
  total: number;
}
export const DEFAULT_IMAGE_DOWNLOAD_LIMITS: ImageDownloadLimits = { perNode: 2, total: 32 };

/** A download stalled this long (the client reads nothing) gives its slot back. */
const IDLE_TIMEOUT_MS = 60_000;

export interface ImagesOptions {
  /** Where the images are; absent: every request is told this control plane serves none. */
  dir?: string;
  limits?: Partial<ImageDownloadLimits>;
  log?: (line: string) => void;
}

export type ImagesHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export function serveImages(db: Db, options: ImagesOptions): ImagesHandler {
  const log = options.log ?? ((line: string) => console.error(`[control] ${line}`));
  const slots = new DownloadSlots({ ...DEFAULT_IMAGE_DOWNLOAD_LIMITS, ...options.limits });
  return (req, res, path) => {
    void serve(db, options.dir, slots, log, req, res, path).catch((error: Error) => {
      log(`${req.method} ${path}: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: "the server failed on that request; see its log" });
      else res.destroy();
    });
  };
}

async function serve(
  db: Db,
  dir: string | undefined,
  slots: DownloadSlots,
  log: (line: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return sendJson(res, 405, { error: `use GET or HEAD for ${path}` });
  }
  if (!dir) return sendJson(res, 404, { error: "this control plane serves no images (set SOFTFLEET_IMAGES_DIR)" });
  const name = path.slice(IMAGES_PATH.length);
  if (!IMAGE_NAME.test(name)) {
    return sendJson(res, 404, {
      error: `no image at ${path}: an image name is letters, digits and . _ - (up to 201), not starting with . _ -`,
    });
  }
  const node = await authenticate(db, req.headers.authorization);
  if ("error" in node) {
    res.setHeader("www-authenticate", 'Bearer realm="softfleet"');
    return sendJson(res, 401, { error: node.error });
  }
  const image = await openImage(dir, name);
  if (!image) return sendJson(res, 404, { error: `no image named ${name} here` });
  await sendImage(image, name, node.id, slots, log, req, res);
}

/** The file whole or the range asked for (HEAD: its headers); closes it however that ends. */
async function sendImage(
  image: FileHandle,
  name: string,
  nodeId: string,
  slots: DownloadSlots,
  log: (line: string) => void,
  req: IncomingMessage,
  res: ServerResponse,
) {
  let streaming = false;
  try {
    const { size, mtime } = await image.stat();
    const etag = `"${size.toString(16)}-${mtime.getTime().toString(16)}"`;
    const headers: OutgoingHttpHeaders = {
      "accept-ranges": "bytes",
      "content-type": contentTypeOf(name),
      etag,
      "last-modified": mtime.toUTCString(),
      "cache-control": "no-store",
    };
    // A range of a file replaced since the client's first part would splice two files: send it whole.
    const ifRange = req.headers["if-range"];
    const range =
      ifRange === undefined || ifRange === etag || ifRange === headers["last-modified"]
        ? parseByteRange(req.headers.range, size)
        : "whole";
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-type": "application/json", "content-range": `bytes */${size}` });
      return void res.end(JSON.stringify({ error: `${req.headers.range} is not within ${name}'s ${size} bytes` }));
    }
    if (req.method === "GET") {
      const slot = slots.take(nodeId);
      if ("refused" in slot) {
        res.setHeader("retry-after", String(slot.retryAfterSec));
        return sendJson(res, slot.status, { error: slot.refused });
      }
      // Given back however the response ends: sent, failed or the client gone.
      res.once("close", slot.release);
    }
    const { start, end } = range === "whole" ? { start: 0, end: size - 1 } : range;
    const length = Math.max(0, end - start + 1);
    res.writeHead(range === "whole" ? 200 : 206, {
      ...headers,
      "content-length": length,
      ...(range === "whole" ? {} : { "content-range": `bytes ${start}-${end}/${size}` }),
    });
    if (req.method === "HEAD" || length === 0) return void res.end();
    res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy());
    const started = performance.now();
    // The stream closes the file; a client that goes away ends the pipeline (and the read) early.
    const stream = image.createReadStream({ start, end });
    streaming = true;
    const outcome = await pipeline(stream, res).then(
      () => "sent",
      (error: Error) => `stopped (${error.message})`,
    );
    const ms = Math.round(performance.now() - started);
    log(`node ${nodeId}: ${outcome} ${name} bytes ${start}-${end}/${size} in ${ms} ms`);
  } finally {
    if (!streaming) await image.close();
  }
}

/** The file, when name is a regular file whose real path lies inside dir (no link leads out of it). */
async function openImage(dir: string, name: string): Promise<FileHandle | null> {
  const root = await realpath(dir).catch(() => null);
  const real = root && (await realpath(join(root, name)).catch(() => null));
  if (!root || !real?.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return null;
  const handle = await open(real, "r").catch(() => null);
  if (handle && !(await handle.stat()).isFile()) {
    await handle.close();
    return null;
  }
  return handle;
}

function contentTypeOf(name: string): string {
  if (name.endsWith(".tar")) return "application/x-tar";
  if (name.endsWith(".sha256")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

type Slot = { release: () => void } | { refused: string; status: 429 | 503; retryAfterSec: number };

/** Counts downloads under way, per node and in all; each slot is given back once. */
class DownloadSlots {
  private total = 0;
  private readonly byNode = new Map<string, number>();

  constructor(private readonly limits: ImageDownloadLimits) {}

  take(nodeId: string): Slot {
    const ofNode = this.byNode.get(nodeId) ?? 0;
    if (ofNode >= this.limits.perNode) {
      return {
        refused: `this node has ${ofNode} image downloads under way, its limit; retry when one ends`,
        status: 429,
        retryAfterSec: 5,
      };
    }
    if (this.total >= this.limits.total) {
      return {
        refused: `${this.total} image downloads are under way, the server's limit; retry later`,
        status: 503,
        retryAfterSec: 10,
      };
    }
    this.total++;
    this.byNode.set(nodeId, ofNode + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byNode.get(nodeId) ?? 1) - 1;
        if (left > 0) this.byNode.set(nodeId, left);
        else this.byNode.delete(nodeId);
      },
    };
  }
}
