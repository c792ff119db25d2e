import { readFileSync } from "node:fs";
import type { ClientRequestArgs } from "node:http";
import { isIP } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

/**
 * How the agent trusts its control plane. Commands it receives reboot the
 * host, so it talks TLS to anything but loopback, checking the server's
 * certificate against a CA file or a pinned SHA-256 fingerprint; plain
 * http:// off loopback only when its config says allowInsecure.
 */
export interface TrustConfig {
  /** PEM file of the CA (or the self-signed certificate) that signs control's certificate. */
  caFile?: string;
  /** SHA-256 of control's certificate (DER), as openssl and Settings print it: hex, colons optional. */
  pinnedFingerprint?: string;
  allowInsecure?: boolean;
}

export class TransportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransportRefused";
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** Refuses, before any connection is made, a cleartext URL to a host that is not loopback. */
export function checkTransport(url: string, trust: TrustConfig): void {
  const parsed = new URL(url);
  const plain = parsed.protocol === "http:" || parsed.protocol === "ws:";
  if (plain && !isLoopbackHost(parsed.hostname) && !trust.allowInsecure) {
    throw new TransportRefused(
      `refusing ${parsed.protocol}// to ${parsed.hostname}: tokens, credentials and reboot commands would cross the network in clear. Use https:// (with caFile or pinnedFingerprint), or set allowInsecure: true in the agent's config to accept that risk`,
    );
  }
}

export function normalizeFingerprint(value: string): string {
  return value.replace(/[:\s]/g, "").toUpperCase();
}

/**
 * Options for node:https and ws: the CA file as the only trusted root, or,
 * with a pinned fingerprint, a TLS connection whose certificate is checked
 * against the pin before the request gets the socket, so not a byte of the
 * request (its credential) is sent to a server that fails the check.
 */
export function tlsOptions(trust: TrustConfig): Partial<ClientRequestArgs> & { ca?: Buffer } {
  if (trust.pinnedFingerprint) {
    const pin = normalizeFingerprint(trust.pinnedFingerprint);
    return {
      createConnection: ((
        options: Record<string, unknown>,
        done: (error: Error | null, socket?: TLSSocket) => void,
      ) => {
        const socket = tlsConnect({
          ...(options as object),
          servername: isIP(String(options.host ?? "")) ? undefined : String(options.host ?? ""),
          // The pin is the check: it names the one certificate to accept, whoever signed it.
          rejectUnauthorized: false,
        });
        const fail = (error: Error) => {
          socket.destroy();
          done(error);
        };
        socket.once("error", fail);
        socket.once("secureConnect", () => {
          socket.off("error", fail);
          const seen = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? "");
          if (seen !== pin) return fail(new TransportRefused(`control's certificate ${seen} is not the pinned ${pin}`));
          done(null, socket);
        });
        return undefined;
      }) as unknown as ClientRequestArgs["createConnection"],
    };
  }
  if (trust.caFile) return { ca: readFileSync(trust.caFile) };
  return {};
}
