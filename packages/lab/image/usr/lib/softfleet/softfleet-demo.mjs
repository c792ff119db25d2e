// A lab demo service: answers GET / with who it is, so a probe can tell whether
// it ran straight through a soft-reboot (same pid and invocation) or restarted.
// Usage: node softfleet-demo.mjs UNIT-NAME PORT (the port comes from /etc/softfleet/demo.env).
import { createServer } from "node:http";

const [service, portText] = process.argv.slice(2);
const port = Number(portText);
if (!service || !Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`usage: softfleet-demo.mjs UNIT-NAME PORT (got ${process.argv.slice(2).join(" ")})`);
  process.exit(2);
}
const since = new Date().toISOString();

const server = createServer((request, response) => {
  if (request.method !== "GET" || request.url !== "/") {
    response.writeHead(404).end();
    return;
  }
  const body = { service, pid: process.pid, invocationId: process.env.INVOCATION_ID ?? null, since };
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
});
// The node's own network: loopback (the prober) and its lab address (the host's probes).
server.listen(port, "0.0.0.0", () => console.log(`${service}: answering on port ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
