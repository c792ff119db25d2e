import { createServer, type Server } from "node:http";
import type { Db } from "@softfleet/db";

/** The control plane's HTTP server: /healthz here; the agents' gateway (/agent/...) attaches itself. */
export function createControlServer(db: Db): Server {
  return createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://control").pathname;
    if (req.method === "GET" && path === "/healthz") {
      const database = await db.$queryRaw`SELECT 1`.then(
        () => "ok" as const,
        () => "unreachable" as const,
      );
      const healthy = database === "ok";
      res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: healthy ? "ok" : "degraded", database }));
      return;
    }
    if (path.startsWith("/agent/")) return; // the gateway's
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: `no route for ${req.method} ${path}` }));
  });
}
