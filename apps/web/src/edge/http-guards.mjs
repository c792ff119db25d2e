// The web server's own checks, before Next.js sees a request (plain JavaScript:
// server.mjs runs without a build step). Each answers a refused request itself
// and returns true; the tests run them against a real node:http server.

/** Bodies larger than this are refused with 413, before anything parses them. */
export const MAX_BODY_BYTES = 1024 * 1024;

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function refuse(res, status, message, extraHeaders = {}) {
  if (res.headersSent) return true;
  res.writeHead(status, { "content-type": "application/json", connection: "close", ...extraHeaders });
  res.end(JSON.stringify({ error: message }));
  return true;
}

/**
 * Refuses a body over `limit` bytes: at once when its Content-Length says so,
 * else (chunked) as soon as the bytes received pass it, whoever is reading.
 * The HTTP parser hands every body chunk to `req.push`, so counting there sees
 * them all without consuming the stream.
 */
export function limitBody(req, res, limit = MAX_BODY_BYTES) {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    refuseBody(req, res, limit);
    return true;
  }
  let received = 0;
  const push = req.push;
  req.push = function countedPush(chunk, encoding) {
    if (chunk) {
      received += chunk.length;
      if (received > limit) {
        refuseBody(req, res, limit);
        return false;
      }
    }
    return push.call(this, chunk, encoding);
  };
  return false;
}

/** How long a refused body's connection is drained before it is closed regardless. */
const LINGER_MS = 2_000;

/**
 * 413, then a lingering close: what the client still sends is read and
 * dropped for a moment while the answer reaches it. Closing at once would
 * reset a connection with unread bytes, and a reset can discard the 413
 * before the client reads it. After LINGER_MS it is closed whatever comes.
 */
function refuseBody(req, res, limit) {
  const socket = req.socket;
  // Whoever was reading gets nothing more: every further chunk is dropped.
  req.push = (chunk) => chunk !== null;
  socket.on("error", () => {});
  // Node's server destroys a "Connection: close" socket as soon as the answer
  // is flushed: here it only half-closes it, and keeps reading (to drop) until
  // the client closes its side or the time is up.
  socket.destroySoon = () => socket.end();
  socket.once("end", () => socket.destroy());
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
  refuse(res, 413, `the request body exceeds ${limit} bytes`);
  req.resume();
}

/** The host the browser addressed: the Host header, or the proxy's X-Forwarded-Host when it is trusted. */
function requestHost(req, trustProxy) {
  const forwarded = trustProxy
    ? String(req.headers["x-forwarded-host"] ?? "")
        .split(",")[0]
        .trim()
    : "";
  return (forwarded || req.headers.host || "").toLowerCase();
}

/**
 * Cross-site request forgery: a change (POST, PUT, PATCH, DELETE) from a
 * browser must come from this site's own pages (Origin, else Sec-Fetch-Site),
 * and the API takes changes only as JSON, which no cross-site form can send.
 * A client that is not a browser sends neither header and is let through: it
 * has no ambient cookie to abuse.
 */
export function refuseCrossSite(req, res, { trustProxy = false } = {}) {
  if (!UNSAFE.has(req.method)) return false;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host = null;
    try {
      host = origin === "null" ? null : new URL(origin).host.toLowerCase();
    } catch {
      host = null;
    }
    if (host !== requestHost(req, trustProxy)) {
      return refuse(res, 403, `cross-site request refused: Origin ${origin.slice(0, 200)} is not this site`);
    }
  } else {
    const site = req.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return refuse(res, 403, `cross-site request refused: Sec-Fetch-Site is ${String(site).slice(0, 40)}`);
    }
  }
  const path = (req.url ?? "").split("?")[0];
  if (path.startsWith("/api/")) {
    const type = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      .trim()
      .toLowerCase();
    if (type !== "application/json") {
      return refuse(res, 415, "changes are accepted only as JSON (Content-Type: application/json)");
    }
  }
  return false;
}

/**
 * The client's address for the audit log and the login throttle. Behind
 * proxies (TRUST_PROXY=N, the number of proxies in front of this server), the
 * right-most X-Forwarded-For entry that no trusted proxy added: entries to its
 * left are the client's own claims, which anyone can forge.
 */
export function clientAddress(req, trustedHops = 0) {
  const socketAddress = req.socket.remoteAddress ?? "";
  if (trustedHops <= 0) return socketAddress;
  const hops = String(req.headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  // The last proxy's own address is the socket's; each trusted proxy appended the address it saw.
  const index = hops.length - trustedHops;
  // Fewer entries than proxies: the request did not come through them all, so nothing in the header is vouched for.
  return index >= 0 ? hops[index] || socketAddress : socketAddress;
}

/** Headers every answer carries; HSTS only when the browser came over https. */
export function securityHeaders(res, { https = false } = {}) {
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "same-origin");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  if (https) res.setHeader("strict-transport-security", "max-age=31536000; includeSubDomains");
}
