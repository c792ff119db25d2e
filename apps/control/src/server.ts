import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { Db } from "@softfleet/db";
import { requestPath, sendJson } from "./gateway/http";
import { IMAGES_PATH, type ImageDownloadLimits, serveImages } from "./images";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The control plane's HTTP server; parts (the agents' gateway) add their own routes. */
export interface ControlServer extends Server {
  route(path: string, handler: RouteHandler): void;
  /** One handler for every path under `prefix` (which ends in "/"), when no whole route matches. */
  routePrefix(prefix: string, handler: RouteHandler): void;
}

export interface ControlServerOptions {
  /** OS images served to enrolled agents at /images/<name> (SOFTFLEET_IMAGES_DIR). */
  imagesDir?: string;
  imageDownloadLimits?: Partial<ImageDownloadLimits>;
  /** Where image downloads are logged (default: stderr). */
  log?: (line: string) => void;
}

/**
 * The control plane's HTTP server: /healthz and /images/* here, the gateway's
 * routes added by it. Every request gets an answer at once: a target that is
 * not a path 400, an unknown path 404; no handler's failure ends the process.
 */
export function createControlServer(
  db: Db,
  tls?: { cert: Buffer; key: Buffer },
  options: ControlServerOptions = {},
): ControlServer {
  const images = serveImages(db, { dir: options.imagesDir, limits: options.imageDownloadLimits, log: options.log });
  const routes = new Map<string, RouteHandler>();
  const prefixes: Array<[string, RouteHandler]> = [];
  routes.set("/healthz", (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "use GET for /healthz" });
    void db.$queryRaw`SELECT 1`
      .then(
        () => "ok" as const,
        () => "unreachable" as const,
      )
      .then((database) => {
        const healthy = database === "ok";
        sendJson(res, healthy ? 200 : 503, { status: healthy ? "ok" : "degraded", database });
      });
  });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = requestPath(req);
    if (path === null) return sendJson(res, 400, { error: "the request target is not a valid path" });
    // One handler for every name under /images/, ahead of the routes matched whole.
    if (path.startsWith(IMAGES_PATH)) return images(req, res, path);
    const handler = routes.get(path) ?? prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
    if (!handler) return sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
    try {
      handler(req, res);
    } catch (error) {
      console.error(`[control] ${req.method} ${path}: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: "the server failed on that request; see its log" });
      else res.destroy();
    }
  };
  // With a certificate, https (and wss for the agents); the handlers are the same.
  const server = (tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, handle)
    : createServer(handle)) as unknown as ControlServer;
  server.route = (path, handler) => routes.set(path, handler);
  server.routePrefix = (prefix, handler) => prefixes.push([prefix, handler]);
  // A client that resets mid-request, or sends what is not HTTP, is answered (400) or dropped: never thrown.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") return socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  // CONNECT (a proxy's method) is not served here: Node would drop it without a word.
  server.on("connect", (_req, socket: Socket) => {
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  return server;
}
