import { execFileSync } from "node:child_process";
import { chmod, chown, copyFile, rm } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { createPrismaClient, parseDatabaseUrl } from "@softfleet/db";
import { type EmbeddedPostgres, makeScratchDir, startEmbeddedPostgres } from "@softfleet/db/embedded";
import { ensureLabPki, type Pki } from "@softfleet/lab";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * DATABASE_URL's sslmode and sslrootcert against a real PostgreSQL serving
 * TLS (the embedded server with ssl=on and a certificate for 127.0.0.1 from a
 * CA made here): verified when asked, refused when the CA does not match.
 */
let folder: string;
let server: EmbeddedPostgres;
let pki: Pki;
let otherCa: string;

beforeAll(async () => {
  folder = await makeScratchDir("softfleet-pg-tls-");
  pki = await ensureLabPki(join(folder, "pki"));
  otherCa = (await ensureLabPki(join(folder, "other-pki"))).caFile;
  // The server reads its key as its own user, which must own it alone.
  const cert = join(folder, "server.pem");
  const key = join(folder, "server.key");
  await copyFile(pki.certFile, cert);
  await copyFile(pki.keyFile, key);
  await chmod(key, 0o600);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    await chown(cert, uid, gid);
    await chown(key, uid, gid);
  }
  server = await startEmbeddedPostgres({
    dataDir: join(folder, "postgres"),
    port: 0,
    ephemeral: true,
    settings: ["ssl=on", `ssl_cert_file=${cert}`, `ssl_key_file=${key}`],
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const withParams = (params: string) => `${server.url}${params}`;

/** Whether the connection this URL makes is encrypted, as the server sees it. */
async function encrypted(url: string): Promise<boolean> {
  const client = new pg.Client(parseDatabaseUrl(url));
  await client.connect();
  try {
    const { rows } = await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    return rows[0].ssl as boolean;
  } finally {
    await client.end();
  }
}

describe("TLS to the database", () => {
  it("verifies the server against sslrootcert with verify-full, in the pool the apps use too", async () => {
    const url = withParams(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(pki.caFile)}`);
    expect(await encrypted(url)).toBe(true);
    const db = createPrismaClient(url);
    try {
      const [row] = await db.$queryRaw<Array<{ ssl: boolean }>>`
        SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      expect(row?.ssl).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });

  it("refuses a server whose certificate another CA signed", async () => {
    const url = withParams(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(otherCa)}`);
    await expect(encrypted(url)).rejects.toThrow(/certificate|self.signed|verify/i);
    // verify-ca checks the chain too, only not the host name.
    await expect(
      encrypted(withParams(`?sslmode=verify-ca&sslrootcert=${encodeURIComponent(otherCa)}`)),
    ).rejects.toThrow(/certificate|self.signed|verify/i);
  });

  it("encrypts without verifying with require, and is plain only when TLS is not asked for", async () => {
    expect(await encrypted(withParams("?sslmode=require"))).toBe(true);
    expect(await encrypted(withParams("?sslmode=disable"))).toBe(false);
    expect(await encrypted(server.url)).toBe(false);
  });
});
