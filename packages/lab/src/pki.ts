import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheDir } from "./layout";
import { LAB_NETWORK } from "./network";

const run = promisify(execFile);

export interface Pki {
  /** The CA certificate agents trust (PEM file). */
  caFile: string;
  /** Control's certificate and key (PEM files), for 127.0.0.1, localhost and the lab network's gateway. */
  certFile: string;
  keyFile: string;
  /** SHA-256 of control's certificate, as openssl and Settings print it. */
  fingerprint: string;
}

/**
 * A private CA and a server certificate for control on loopback and on the lab
 * network's gateway (where the lab's nodes reach it), made with Debian's
 * openssl. Kept in `dir` and reused: keys are mode 600.
 */
export async function ensureLabPki(dir: string): Promise<Pki> {
  const caFile = join(dir, "ca.pem");
  const caKey = join(dir, "ca.key");
  const certFile = join(dir, "control.pem");
  const keyFile = join(dir, "control.key");
  const fingerprintOf = async () => new X509Certificate(await readFile(certFile)).fingerprint256;
  try {
    const made = new X509Certificate(await readFile(certFile));
    // One made before the lab had its own network lacks the gateway's address: it is made again.
    if (made.subjectAltName?.includes(`IP Address:${LAB_NETWORK.gateway}`)) {
      return { caFile, certFile, keyFile, fingerprint: made.fingerprint256 };
    }
  } catch {
    // Not made yet.
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const openssl = async (...args: string[]) => {
    try {
      await run("openssl", args, { timeout: 30_000 });
    } catch (error) {
      throw new Error(
        `openssl ${args[0]} failed: ${(error as Error).message} (the lab's TLS needs openssl: apt-get install -y openssl)`,
      );
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-days",
    "3650",
    "-subj",
    "/CN=softfleet lab CA",
  );
  const csr = join(dir, "control.csr");
  await openssl("req", ...ec, "-keyout", keyFile, "-out", csr, "-subj", "/CN=softfleet control (lab)");
  const ext = join(dir, "control.ext");
  await writeFile(
    ext,
    `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,IP:${LAB_NETWORK.gateway}\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caFile,
    "-CAkey",
    caKey,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "825",
    "-extfile",
    ext,
  );
  return { caFile, certFile, keyFile, fingerprint: await fingerprintOf() };
}

/** The lab's own PKI, kept beside its image cache. */
export function labPki(): Promise<Pki> {
  return ensureLabPki(join(cacheDir(), "tls"));
}
