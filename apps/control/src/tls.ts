import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Db } from "@softfleet/db";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the certificate, as openssl prints it (AA:BB:…): what agents may pin. */
  fingerprint: string;
}

/** Reads control's certificate and key, checking that they load and belong together; errors say which file. */
export function readTls(files: TlsFiles): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(
        `cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  };
  const cert = read(files.certFile, "certificate");
  const key = read(files.keyFile, "key");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`${files.certFile} is not a PEM certificate: ${(error as Error).message}`);
  }
  return { cert, key, fingerprint: x509.fingerprint256 };
}

/** What Settings shows with the enrollment command: the fingerprint agents may pin (null: plain HTTP). */
export async function recordControlTls(db: Db, fingerprint: string | null): Promise<void> {
  await db.controlTls.upsert({
    where: { id: "control" },
    create: { id: "control", fingerprint },
    update: { fingerprint },
  });
}
