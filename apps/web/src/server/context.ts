import { type Context, createContext, processChangeFeed } from "@softfleet/api";
import { getPrisma, getReportsPrisma } from "@softfleet/db";

export function isSecureRequest(headers: Headers): boolean {
  if (process.env.COOKIE_SECURE) return process.env.COOKIE_SECURE === "true";
  return headers.get("x-forwarded-proto") === "https";
}

/** Builds the tRPC context from a request; cookies set by procedures go into `responseHeaders`. */
export function contextFromHeaders(headers: Headers, responseHeaders?: Headers, batchSize = 1): Promise<Context> {
  return createContext({
    db: getPrisma(),
    cookieHeader: headers.get("cookie"),
    authorization: headers.get("authorization"),
    changeFeed: processChangeFeed(),
    reports: getReportsPrisma(),
    meta: {
      sourceIp: headers.get("x-softfleet-client-ip") || null,
      userAgent: headers.get("user-agent"),
      secure: isSecureRequest(headers),
      setCookie: (cookie) => responseHeaders?.append("set-cookie", cookie),
      setHeader: (name, value) => responseHeaders?.set(name, value),
      batchSize,
    },
  });
}
