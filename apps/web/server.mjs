// The web app's HTTP server: Next.js behind a thin Node server, so that the
// audit log can record the real source address of each request.
import { createServer } from "node:http";
import next from "next";
import { clientAddress, limitBody, refuseCrossSite, securityHeaders } from "./src/edge/http-guards.mjs";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
// TRUST_PROXY: how many proxies of yours stand in front of this server (1 for one; "true" means 1).
const trustedHops = process.env.TRUST_PROXY === "true" ? 1 : Number(process.env.TRUST_PROXY || 0);
const dev = process.env.NODE_ENV === "development";

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`[web] PORT must be a port number (1-65535), got "${process.env.PORT}"`);
  process.exit(1);
}
if (!Number.isInteger(trustedHops) || trustedHops < 0 || trustedHops > 10) {
  console.error(
    `[web] TRUST_PROXY must be the number of your proxies in front of the web app (0-10), got "${process.env.TRUST_PROXY}"`,
  );
  process.exit(1);
}
if (!process.env.DATABASE_URL) {
  console.error("[web] DATABASE_URL is required (npm start provides it; or point it at your PostgreSQL server)");
  process.exit(1);
}

const app = next({ dev, dir: import.meta.dirname, hostname: host, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((req, res) => {
  const https =
    process.env.COOKIE_SECURE === "true" || (trustedHops > 0 && req.headers["x-forwarded-proto"] === "https");
  securityHeaders(res, { https });
  if (limitBody(req, res) || refuseCrossSite(req, res, { trustProxy: trustedHops > 0 })) return;
  // Only this server says where a request came from; a client's own claim is dropped.
  req.headers["x-softfleet-client-ip"] = clientAddress(req, trustedHops);
  // Whether the browser came over https is this server's to say too.
  if (trustedHops === 0) delete req.headers["x-forwarded-proto"];
  handle(req, res);
});
// A client that resets mid-request or sends what is not HTTP is answered or dropped, never thrown.
server.on("clientError", (error, socket) => {
  if (!socket.writable || error.code === "ECONNRESET") return socket.destroy();
  socket.end(
    `HTTP/1.1 ${error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
});
server.on("error", (error) => {
  console.error(
    error.code === "EADDRINUSE" ? `[web] port ${port} is in use: set PORT to a free port` : `[web] ${error.message}`,
  );
  process.exit(1);
});
server.listen(port, host, () => console.error(`[web] listening on http://${host}:${port}`));

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`[web] ${signal}: shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

// Under `npm start`: if the supervisor dies without stopping us (kill -9), shut down rather than linger.
const supervisor = Number(process.env.SOFTFLEET_SUPERVISOR_PID);
if (supervisor) {
  setInterval(() => {
    try {
      process.kill(supervisor, 0);
    } catch {
      stop(`the supervisor (pid ${supervisor}) is gone`);
    }
  }, 2_000).unref();
}
