import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientAddress, limitBody, MAX_BODY_BYTES, refuseCrossSite, securityHeaders } from "./http-guards.mjs";

/** A server wired as server.mjs wires Next.js: the guards first, then a handler that reads the whole body. */
let server: Server;
let port: number;
let largestBodySeen = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    securityHeaders(res, { https: req.headers["x-test-https"] === "1" });
    if (limitBody(req, res) || refuseCrossSite(req, res)) return;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const size = Buffer.concat(chunks).length;
      largestBodySeen = Math.max(largestBodySeen, size);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ size, client: clientAddress(req, Number(req.headers["x-test-hops"] ?? 0)) }));
    });
    req.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function send(
  options: { method?: string; path?: string; headers?: Record<string, string> },
  body?: { chunked: boolean; bytes: number },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", ...options.headers };
    if (body && !body.chunked) Object.assign(headers, { "content-length": String(body.bytes) });
    const req = request(
      { host: "127.0.0.1", port, method: options.method ?? "POST", path: options.path ?? "/api/trpc/x", headers },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", (error) => reject(error));
    if (!body) return req.end();
    // Write in 64 KiB pieces, as a streaming client would; stop once the server answered.
    let sent = 0;
    const piece = Buffer.alloc(64 * 1024, 120);
    const writeMore = () => {
      while (sent < body.bytes) {
        const part = piece.subarray(0, Math.min(piece.length, body.bytes - sent));
        sent += part.length;
        if (!req.write(part)) return req.once("drain", writeMore);
      }
      req.end();
    };
    req.on("response", () => (sent = body.bytes));
    writeMore();
  });
}

describe("request bodies", () => {
  it("refuses a declared body over 1 MiB with 413 before reading it", async () => {
    const before = largestBodySeen;
    const result = await send({}, { chunked: false, bytes: 200 * 1024 * 1024 }).catch((error: Error) => ({
      status: -1,
      body: error.message,
      headers: {},
    }));
    expect(result.status).toBe(413);
    expect(result.body).toContain(`exceeds ${MAX_BODY_BYTES} bytes`);
    expect(largestBodySeen).toBe(before);
  });

  it("refuses a chunked body once it passes 1 MiB, and the reader never gets more", async () => {
    const result = await send({}, { chunked: true, bytes: 8 * 1024 * 1024 }).catch((error: Error) => ({
      status: -1,
      body: error.message,
      headers: {},
    }));
    expect(result.status, result.body).toBe(413);
    expect(largestBodySeen).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });

  it("lets each of 60 concurrent oversized uploads read its 413: none is reset before the answer", async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, () =>
        send({}, { chunked: true, bytes: 8 * 1024 * 1024 }).then(
          (r) => String(r.status),
          (error: NodeJS.ErrnoException) => error.code ?? error.message,
        ),
      ),
    );
    expect(results.filter((status) => status !== "413")).toEqual([]);
  });

  it("passes a body under the limit whole, chunked or not", async () => {
    for (const chunked of [true, false]) {
      const result = await send({}, { chunked, bytes: 900 * 1024 });
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body).size).toBe(900 * 1024);
    }
  });
});

describe("cross-site requests", () => {
  const host = () => `127.0.0.1:${port}`;

  it.each([
    ["a foreign Origin", { origin: "https://evil.example" }, 403],
    ["a null Origin", { origin: "null" }, 403],
    ["a same-site Origin of another host", { origin: "http://127.0.0.2:3000" }, 403],
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }, 403],
    ["Sec-Fetch-Site same-site (a sibling subdomain)", { "sec-fetch-site": "same-site" }, 403],
    ["a multipart body (as a cross-site form would send)", { "content-type": "multipart/form-data; boundary=x" }, 415],
    ["a urlencoded body", { "content-type": "application/x-www-form-urlencoded" }, 415],
    ["text/plain", { "content-type": "text/plain" }, 415],
  ])("refuses a change with %s", async (_name, headers, status) => {
    const result = await send({ path: "/api/trpc/auth.logout", headers });
    expect(result.status).toBe(status);
    expect(JSON.parse(result.body).error).toMatch(/cross-site request refused|only as JSON/);
  });

  it("accepts the site's own pages and clients that are not browsers", async () => {
    expect((await send({ headers: { origin: `http://${host()}` } })).status).toBe(200);
    expect((await send({ headers: { "sec-fetch-site": "same-origin" } })).status).toBe(200);
    expect((await send({ headers: {} })).status).toBe(200);
    // Reads are not changes.
    expect((await send({ method: "GET", headers: { origin: "https://evil.example" } })).status).toBe(200);
  });
});

describe("client addresses", () => {
  it("takes the right-most address no trusted proxy added, never the client's own claim", async () => {
    const claim = { "x-forwarded-for": "6.6.6.6, 203.0.113.7" };
    const direct = JSON.parse((await send({ method: "GET", headers: claim })).body).client;
    expect(direct).toBe("127.0.0.1");
    const oneProxy = JSON.parse((await send({ method: "GET", headers: { ...claim, "x-test-hops": "1" } })).body);
    expect(oneProxy.client).toBe("203.0.113.7");
    // More proxies trusted than the header has entries: nothing in it is vouched for.
    const short = JSON.parse((await send({ method: "GET", headers: { ...claim, "x-test-hops": "3" } })).body);
    expect(short.client).toBe("127.0.0.1");
  });
});

describe("security headers", () => {
  it("marks every answer nosniff, same-origin referrers, no framing; HSTS only over https", async () => {
    const plain = await send({ method: "GET" });
    expect(plain.headers).toMatchObject({
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "x-frame-options": "DENY",
    });
    expect(plain.headers["strict-transport-security"]).toBeUndefined();
    const https = await send({ method: "GET", headers: { "x-test-https": "1" } });
    expect(https.headers["strict-transport-security"]).toMatch(/^max-age=\d+/);
  });
});
