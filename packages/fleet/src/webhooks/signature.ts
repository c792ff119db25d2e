import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "softfleet-signature";
export const EVENT_HEADER = "softfleet-event";
export const DELIVERY_HEADER = "softfleet-delivery";

/** A new endpoint's signing secret: 32 random bytes, shown once. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp is signed too, so a replay is dated. */
export function signatureHeader(secret: string, body: string, at = new Date()): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver does (and the README shows): recompute the HMAC over the
 * raw body, compare in constant time, and refuse a timestamp older than the
 * tolerance. Returns why it is refused, or null when it is good.
 */
export function signatureProblem(
  header: string | null | undefined,
  secret: string,
  body: string,
  { now = new Date(), toleranceSec = 300 }: { now?: Date; toleranceSec?: number } = {},
): string | null {
  if (!header) return "no signature header";
  const parts = new Map(
    header.split(",").map((part) => {
      const eq = part.indexOf("=");
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
    }),
  );
  const timestamp = Number(parts.get("t"));
  const given = parts.get("v1");
  if (!Number.isInteger(timestamp) || !given || !/^[0-9a-f]{64}$/.test(given)) return "malformed signature header";
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSec) return "signature timestamp outside the tolerance";
  const expected = Buffer.from(hmac(secret, timestamp, body), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex")) ? null : "signature does not match";
}
