// The web app's HTTP server: Next.js behind a thin Node server, so that the
// audit log can record the real source address of each request.
import { createServer } from "node:http";
import next from "next";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const trustProxy = process.env.TRUST_PROXY === "1" || process.env.TRUST_PROXY === "true";
const dev = process.env.NODE_ENV === "development";

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`[web] PORT must be a port number (1-65535), got "${process.env.PORT}"`);
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
  // Only this server says where a request came from; a client's own claim is dropped.
  const forwarded = trustProxy
    ? String(req.headers["x-forwarded-for"] ?? "")
        .split(",")[0]
        ?.trim()
    : "";
  req.headers["x-softfleet-client-ip"] = forwarded || req.socket.remoteAddress || "";
  handle(req, res);
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
