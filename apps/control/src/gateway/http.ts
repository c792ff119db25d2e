import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/** Reads a request body, refusing one over `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `request body exceeds ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    // A client that went away mid-body is its own failure, not the server's.
    req.on("error", (error) => reject(new HttpError(400, `the request body could not be read: ${error.message}`)));
  });
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Refuses a WebSocket upgrade with a status and a JSON reason, before any frame. */
export function refuseUpgrade(socket: Socket, status: number, message: string) {
  const body = JSON.stringify({ error: message });
  const reason = STATUS_CODES[status] ?? "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The path of a request's target, or null when the target is not one a client
 * may send (`//[`, `%zz`, a bare authority): those get a 400, never an exception.
 */
export function requestPath(req: IncomingMessage): string | null {
  const target = req.url ?? "";
  if (!target.startsWith("/") || target.length > 8 * 1024) return null;
  try {
    const path = new URL(target, "http://control").pathname;
    decodeURIComponent(path);
    return path;
  } catch {
    return null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerOf(header: string | undefined): string | undefined {
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
  return token ? token : undefined;
}

export function clientAddress(req: IncomingMessage): string | null {
  return req.socket.remoteAddress ?? null;
}
