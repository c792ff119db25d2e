import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureProblem } from "@softfleet/fleet";

/** One request a test receiver got, and whether its signature checked out. */
export interface Received {
  path: string;
  at: number;
  deliveryId: string;
  eventType: string;
  body: string;
  signatureProblem: string | null;
  status: number;
}

/** How the receiver answers a request: a status (and headers), or after a delay. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A real HTTP receiver on 127.0.0.1 for tests (and the e2e spec): it checks
 * each request's signature with `secretOf(path)` and answers as `answer` says.
 */
export async function startReceiver(
  answer: (request: { path: string; deliveryId: string; attempt: number }) => Answer,
  secretOf: (path: string) => string | undefined = () => undefined,
) {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const deliveryId = String(req.headers[DELIVERY_HEADER] ?? "");
      const attempt = (attempts.get(deliveryId) ?? 0) + 1;
      attempts.set(deliveryId, attempt);
      const reply = answer({ path, deliveryId, attempt });
      const secret = secretOf(path);
      received.push({
        path,
        at: Date.now(),
        deliveryId,
        eventType: String(req.headers[EVENT_HEADER] ?? ""),
        body,
        signatureProblem: secret
          ? signatureProblem(req.headers[SIGNATURE_HEADER] as string, secret, body)
          : "no secret",
        status: reply.status,
      });
      open.add(res);
      const send = () => {
        open.delete(res);
        if (res.destroyed) return;
        res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        res.end(reply.status >= 400 ? "receiver says no" : "ok");
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
