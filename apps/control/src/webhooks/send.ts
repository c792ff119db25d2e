import {
  type AttemptOutcome,
  type ClaimedDelivery,
  DELIVERY_HEADER,
  EVENT_HEADER,
  renderPayload,
  SIGNATURE_HEADER,
  signatureHeader,
} from "@softfleet/fleet";

export interface SendOptions {
  /** The dashboard's address, for links in payloads (null: no links). */
  publicUrl: string | null;
  /** The whole attempt, connecting to the last byte read. */
  timeoutMs: number;
  now?: Date;
}

/** Of a receiver's answer, only this much is read (its first words go in the log when it refuses). */
const MAX_RESPONSE_BYTES = 4096;
const SNIPPET_CHARS = 200;

/**
 * One attempt of a delivery: a signed POST that follows no redirect, bounded
 * in time and in what it reads. Never throws: a failure is an outcome whose
 * error says what went wrong in words an admin can act on.
 */
export async function sendDelivery(delivery: ClaimedDelivery, options: SendOptions): Promise<AttemptOutcome> {
  const body = renderPayload(delivery.format, delivery.event, options.publicUrl);
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "softfleet-webhooks/1",
        [SIGNATURE_HEADER]: signatureHeader(delivery.secret, body, options.now),
        [EVENT_HEADER]: delivery.event.type,
        [DELIVERY_HEADER]: delivery.id.toString(),
      },
      body,
    });
    const text = await readBounded(response);
    const code = response.status;
    if (code >= 200 && code < 300) return { responseCode: code, error: null };
    if (code >= 300 && code < 400) {
      const location = response.headers.get("location");
      return {
        responseCode: code,
        error: `redirected (${code}) to ${location ? clip(location) : "no Location"}: redirects are not followed; use the final URL`,
      };
    }
    const said = text.replace(/\s+/g, " ").trim();
    return { responseCode: code, error: `answered ${code}${said ? `: ${clip(said)}` : ""}` };
  } catch (error) {
    return { responseCode: null, error: failureText(error, delivery.url, seconds) };
  }
}

const clip = (text: string) => (text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text);

/** The start of the body, at most MAX_RESPONSE_BYTES, the rest left unread (the connection is dropped). */
async function readBounded(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_RESPONSE_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= MAX_RESPONSE_BYTES) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8");
}

/** fetch's errors (a TypeError whose cause has the system's code), in words. */
function failureText(error: unknown, url: string, seconds: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer within ${seconds} s`;
  const host = URL.canParse(url) ? new URL(url).host : url;
  const code = err.cause?.code;
  switch (code) {
    case "ECONNREFUSED":
      return `connection refused by ${host}: nothing listens there`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `DNS lookup of ${new URL(url).hostname} failed (${code}): check the host name`;
    case "ECONNRESET":
      return `${host} closed the connection before answering`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${host} is unreachable from control (${code})`;
    case "UND_ERR_CONNECT_TIMEOUT":
      return `could not connect to ${host} within ${seconds} s`;
  }
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS with ${host} failed: ${err.cause?.message ?? code}`;
  return `request failed: ${err.cause?.message ?? err.message}`;
}
