import { readCookie } from "@softfleet/api/auth";
import { finishOidcLogin, OidcLoginError, SsoLoginRefused, sessionCookie, signInWithSso } from "@softfleet/api/sso";
import { getPrisma } from "@softfleet/db";
import { contextFromHeaders, isSecureRequest } from "~/server/context";
import {
  attemptCookieName,
  clearedAttemptCookie,
  clearedErrorCookie,
  oidcConfig,
  toLoginWithError,
} from "~/server/sso";

export const dynamic = "force-dynamic";

/**
 * Where the provider sends the browser back: the sign-in is checked, the user
 * linked and a session opened; any failure goes to the login page with what
 * was wrong, and nothing else changed.
 */
export async function GET(request: Request) {
  const secure = isSecureRequest(request.headers);
  const config = oidcConfig();
  if (!config) return toLoginWithError("Single sign-on is not configured here: log in with a local account.", secure);
  const cookieValue = readCookie(request.headers.get("cookie"), attemptCookieName(secure));
  const clearAttempt = clearedAttemptCookie(secure);
  try {
    const result = await finishOidcLogin(getPrisma(), config, { search: new URL(request.url).search, cookieValue });
    const ctx = await contextFromHeaders(request.headers);
    const session = await signInWithSso(ctx, config, result);
    const headers = new Headers({ location: result.nextPath, "cache-control": "no-store" });
    headers.append("set-cookie", sessionCookie(session.token, session.expiresAt, { secure }));
    headers.append("set-cookie", clearAttempt);
    headers.append("set-cookie", clearedErrorCookie(secure));
    return new Response(null, { status: 303, headers });
  } catch (error) {
    if (error instanceof OidcLoginError) {
      // Nothing changed, so nothing is audited; the log keeps the refusal for whoever looks into it.
      console.warn(`[web] single sign-on callback refused: ${error.code}`);
      // A wrong state leaves this browser's own sign-in in place, for its rightful answer.
      return toLoginWithError(error.message, secure, error.code === "wrong_state" ? [] : [clearAttempt]);
    }
    if (error instanceof SsoLoginRefused) return toLoginWithError(error.message, secure, [clearAttempt]);
    console.error("[web] single sign-on callback failed:", error);
    return toLoginWithError("Single sign-on failed: try again, or log in with a local account.", secure, [
      clearAttempt,
    ]);
  }
}
