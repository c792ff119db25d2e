import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { ensureLabPki, type Pki } from "@softfleet/lab";
import { probe } from "@softfleet/launcher";
import { createTestDatabase, startTestControl, type TestControl, type TestDatabase, until } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
let t: TestDatabase;
let control: TestControl;
let first: Pki;
let second: Pki;
let tls: { certFile: string; keyFile: string; caFile: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "softfleet-control-tls-"));
  first = await ensureLabPki(join(dir, "first"));
  second = await ensureLabPki(join(dir, "second"));
  // The files control reads: replaced in place before a SIGHUP, as a renewal does.
  tls = { certFile: join(dir, "control.pem"), keyFile: join(dir, "control.key"), caFile: first.caFile };
  await copyFile(first.certFile, tls.certFile);
  await copyFile(first.keyFile, tls.keyFile);
  t = await createTestDatabase();
  control = await startTestControl(t, { tls });
}, 120_000);
afterAll(async () => {
  await control?.stop();
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The fingerprint of the certificate control presents to a new connection. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(new X509Certificate(socket.getPeerX509Certificate()!.raw).fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}

describe("control over TLS", () => {
  it("serves https with its certificate, trusted through the CA, and records the fingerprint for Settings", async () => {
    expect(control.url).toMatch(/^https:/);
    expect(await probe(`${control.url}/healthz`, first.caFile)).toBe(200);
    // A client that trusts another CA is refused the connection.
    await expect(probe(`${control.url}/healthz`, second.caFile)).rejects.toThrow(/certificate/);
    expect(control.output.join("\n")).toContain(`fingerprint ${first.fingerprint}`);
    expect((await t.db.controlTls.findUniqueOrThrow({ where: { id: "control" } })).fingerprint).toBe(first.fingerprint);
  });

  it("reloads a renewed certificate on SIGHUP without a restart, and keeps the old one when the new files are bad", async () => {
    const port = Number(new URL(control.url).port);
    const pid = control.process.child.pid!;
    await copyFile(second.certFile, tls.certFile);
    await copyFile(second.keyFile, tls.keyFile);
    process.kill(pid, "SIGHUP");
    await until("the new certificate", async () => (await presented(port)) === second.fingerprint);
    // Settings learns the new fingerprint just after the swap (a separate write).
    await until(
      "the new fingerprint recorded for Settings",
      async () =>
        (await t.db.controlTls.findUniqueOrThrow({ where: { id: "control" } })).fingerprint === second.fingerprint,
    );

    await writeFile(tls.certFile, "not a certificate");
    process.kill(pid, "SIGHUP");
    await until("the failed reload to be logged", async () =>
      control.output.some((l) => l.includes("TLS reload failed")),
    );
    expect(await presented(port)).toBe(second.fingerprint);
    expect(await probe(`${control.url}/healthz`, second.caFile)).toBe(200);
    expect(control.process.child.exitCode).toBeNull();
  });
});
