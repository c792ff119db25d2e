import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@softfleet/db";
import {
  FLEETLOCK_MAX_BODY_BYTES,
  FleetLockError,
  type FleetLockOperation,
  parseFleetLockRequest,
  releaseSlot,
  takeSlot,
} from "@softfleet/fleet";
import { PerMinute } from "../gateway/flood";
import { bearerOf, clientAddress, requestPath } from "../gateway/http";
import type { ControlServer } from "../server";

/** Zincati's base URL: `{control}/fleetlock/<secret>/` (the secret in the path: Zincati knows only a URL). */
export const FLEETLOCK_PREFIX = "/fleetlock/";
/** The same operations at the root, for clients that send the secret as `Authorization: Bearer`. */
const ROOT_PATHS: Record<string, FleetLockOperation> = {
  "/v1/pre-reboot": "pre-reboot",
  "/v1/steady-state": "steady-state",
};
const PREFIXED = /^\/fleetlock\/([A-Za-z0-9_-]{16,128})\/+v1\/(pre-reboot|steady-state)$/;

export interface FleetLockLimits {
  /** Requests a source address may make a minute (Zincati polls pre-reboot every few minutes). */
  perSourcePerMinute: number;
  /** How long a client may take to send its body. */
  bodyTimeoutMs: number;
}

export const DEFAULT_FLEETLOCK_LIMITS: FleetLockLimits = { perSourcePerMinute: 120, bodyTimeoutMs: 10_000 };

/** Serves the FleetLock protocol on control's server; every answer is 200 or a `{kind, value}` error. */
export function attachFleetLock(
  server: ControlServer,
  db: Db,
  log: (line: string) => void,
  limits = DEFAULT_FLEETLOCK_LIMITS,
) {
  const perSource = new PerMinute(limits.perSourcePerMinute);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    serve(db, req, res, perSource, limits).catch((error: Error) => {
      // Never the path in a log line: it holds the secret.
      log(`fleetlock: ${error.message}`);
      send(res, new FleetLockError("internal_error", "the server failed on this request; see control's log"));
    });
  };
  server.routePrefix(FLEETLOCK_PREFIX, handle);
  for (const path of Object.keys(ROOT_PATHS)) server.route(path, handle);
}

async function serve(db: Db, req: IncomingMessage, res: ServerResponse, perSource: PerMinute, limits: FleetLockLimits) {
  try {
    const { operation, secret } = target(req);
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      throw new FleetLockError("method_not_allowed", `use POST for /v1/${operation}, not ${req.method}`);
    }
    const sourceIp = clientAddress(req);
    if (!perSource.take(sourceIp ?? "unknown")) {
      throw new FleetLockError(
        "rate_limited",
        `more than ${limits.perSourcePerMinute} FleetLock requests a minute from ${sourceIp}; retry later`,
      );
    }
    if (req.headers["fleet-lock-protocol"] !== "true") {
      throw new FleetLockError(
        "missing_protocol_header",
        'send the header "fleet-lock-protocol: true" (the FleetLock protocol requires it)',
      );
    }
    if (!secret) {
      throw new FleetLockError(
        "unauthorized",
        "send the group's secret: in the base URL (/fleetlock/<secret>/) or as Authorization: Bearer <secret>",
      );
    }
    const request = parseFleetLockRequest(await readBounded(req, limits.bodyTimeoutMs));
    const call = { secret, request, sourceIp };
    const answer = operation === "pre-reboot" ? await takeSlot(db, call) : await releaseSlot(db, call);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ outcome: answer.outcome, nodeId: answer.nodeId }));
  } catch (error) {
    if (error instanceof FleetLockError) return send(res, error);
    if (isBusy(error)) return send(res, new FleetLockError("unavailable", "the server is busy; retry shortly"));
    throw error;
  }
}

/** Which operation, and the secret from the path or the Authorization header. */
function target(req: IncomingMessage): { operation: FleetLockOperation; secret: string | undefined } {
  const path = requestPath(req) ?? "";
  const root = ROOT_PATHS[path];
  if (root) return { operation: root, secret: bearerOf(req.headers.authorization) };
  const match = PREFIXED.exec(path);
  if (!match) {
    throw new FleetLockError(
      "not_found",
      "FleetLock's endpoints are {base}/v1/pre-reboot and {base}/v1/steady-state, with base /fleetlock/<secret>/",
    );
  }
  return { operation: match[2] as FleetLockOperation, secret: match[1] };
}

/**
 * The body, up to FLEETLOCK_MAX_BODY_BYTES and within `timeoutMs`. Past either it stops reading
 * (the answer then closes the connection) rather than destroying the socket, so the client gets it.
 */
function readBounded(req: IncomingMessage, timeoutMs: number): Promise<string> {
  const limit = FLEETLOCK_MAX_BODY_BYTES;
  const tooLarge = new FleetLockError("body_too_large", `the body exceeds ${limit} bytes`);
  if (Number(req.headers["content-length"] ?? 0) > limit) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: FleetLockError) => {
      clearTimeout(timer);
      req.removeAllListeners("data");
      req.pause();
      reject(error);
    };
    const timer = setTimeout(
      () => stop(new FleetLockError("request_timeout", `the body did not arrive within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop(tooLarge);
      chunks.push(chunk);
    });
    req.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (error) =>
      stop(new FleetLockError("invalid_body", `the body could not be read: ${error.message}`)),
    );
  });
}

/** Prisma's "could not get a connection / transaction timed out": the database is saturated, not broken. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === "P2024" || code === "P2028";
}

function send(res: ServerResponse, error: FleetLockError) {
  if (res.headersSent) return void res.destroy();
  // A body cut off (too large, too slow) leaves the connection unusable: close it after the answer.
  const close = error.kind === "body_too_large" || error.kind === "request_timeout";
  res.writeHead(error.status, { "content-type": "application/json", ...(close ? { connection: "close" } : {}) });
  res.end(JSON.stringify(error.body));
}
