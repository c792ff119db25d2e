import { loadOidcConfig, type OidcConfig } from "@softfleet/api/sso";

/**
 * Single sign-on's settings, read once (server.mjs checks them at start
 * through instrumentation.ts, so a bad one stops the server there).
 */
let loaded: { config: OidcConfig | null } | undefined;
export function oidcConfig(): OidcConfig | null {
  loaded ??= { config: loadOidcConfig() };
  return loaded.config;
}

const ERROR_COOKIE = "softfleet_sso_error";

/** The sign-in in progress: bound to this browser, sent only to the sign-in routes. */
export function attemptCookieName(secure: boolean): string {
  return secure ? "__Secure-softfleet_oidc" : "softfleet_oidc";
}

export function attemptCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${attemptCookieName(secure)}=${value}`,
    "Path=/api/auth/oidc",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export const clearedAttemptCookie = (secure: boolean) => attemptCookie("", 0, secure);

/** A failed sign-in's message, for the login page to show once (it is the server's text, never the URL's). */
export function errorCookie(message: string, secure: boolean): string {
  return [
    `${ERROR_COOKIE}=${encodeURIComponent(message.slice(0, 1200))}`,
    "Path=/login",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=60",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export const clearedErrorCookie = (secure: boolean) =>
  [`${ERROR_COOKIE}=`, "Path=/login", "HttpOnly", "SameSite=Lax", "Max-Age=0", ...(secure ? ["Secure"] : [])].join(
    "; ",
  );

export function readErrorCookie(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return decodeURIComponent(value).slice(0, 1200) || null;
  } catch {
    return null;
  }
}
export { ERROR_COOKIE };

/** A redirect to the login page, showing `message`. */
export function toLoginWithError(message: string, secure: boolean, extraCookies: string[] = []): Response {
  const headers = new Headers({ location: "/login", "cache-control": "no-store" });
  headers.append("set-cookie", errorCookie(message, secure));
  for (const cookie of extraCookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}
