import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLabPki, type Pki } from "@softfleet/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./enroll";
import { checkTransport, isLoopbackHost, TransportRefused } from "./trust";

let dir: string;
let pki: Pki;
let other: Pki;
let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "softfleet-trust-"));
  pki = await ensureLabPki(join(dir, "lab"));
  other = await ensureLabPki(join(dir, "other"));
  server = createServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, (req, res) => {
    requests += 1;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ seen: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1/enroll`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("cleartext", () => {
  it("is refused to any host that is not loopback, before a connection, unless allowInsecure", () => {
    // Nothing is sent: the check throws before any socket exists (these addresses are never contacted).
    for (const target of ["http://control.example:3001/", "ws://192.0.2.7/agent/v1", "http://[2001:db8::1]/"]) {
      expect(() => checkTransport(target, {})).toThrow(TransportRefused);
      expect(() => checkTransport(target, {})).toThrow(/allowInsecure: true/);
      expect(() => checkTransport(target, { allowInsecure: true })).not.toThrow();
    }
    for (const target of [
      "http://127.0.0.1:3001/",
      "ws://localhost/agent/v1",
      "http://[::1]:3001/",
      "https://control.example/",
    ]) {
      expect(() => checkTransport(target, {})).not.toThrow();
    }
    expect(isLoopbackHost("127.9.9.9")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
  });

  it("makes enrollment refuse before sending the token", async () => {
    await expect(postJson("http://192.0.2.7:3001/agent/v1/enroll", { token: "secret" }, 1_000)).rejects.toThrow(
      TransportRefused,
    );
  });
});

describe("TLS to control", () => {
  it("accepts control's certificate through the CA file", async () => {
    const result = await postJson(url, {}, 5_000, { caFile: pki.caFile });
    expect(result.status).toBe(200);
  });

  it("refuses a certificate the CA did not sign, and sends nothing", async () => {
    const before = requests;
    await expect(postJson(url, {}, 5_000, { caFile: other.caFile })).rejects.toThrow(/certificate/);
    // Without a CA file only the system's roots count: a private CA is refused.
    await expect(postJson(url, {}, 5_000, {})).rejects.toThrow(/certificate/);
    expect(requests).toBe(before);
  });

  it("accepts exactly the pinned certificate (colons or not) and refuses another before the request is sent", async () => {
    expect((await postJson(url, {}, 5_000, { pinnedFingerprint: pki.fingerprint })).status).toBe(200);
    expect(
      (await postJson(url, {}, 5_000, { pinnedFingerprint: pki.fingerprint.replaceAll(":", "").toLowerCase() })).status,
    ).toBe(200);
    const before = requests;
    await expect(postJson(url, { token: "secret" }, 5_000, { pinnedFingerprint: other.fingerprint })).rejects.toThrow(
      /is not the pinned/,
    );
    expect(requests).toBe(before);
  });
});
