import { beginOidcLogin, OidcLoginError } from "@softfleet/api/sso";
import { getPrisma } from "@softfleet/db";
import { isSecureRequest } from "~/server/context";
import { attemptCookie, clearedErrorCookie, oidcConfig, toLoginWithError } from "~/server/sso";

export const dynamic = "force-dynamic";

/** Starts a single sign-on: remembers it for this browser and sends the browser to the provider. */
export async function GET(request: Request) {
  const secure = isSecureRequest(request.headers);
  const config = oidcConfig();
  if (!config) return toLoginWithError("Single sign-on is not configured here: log in with a local account.", secure);
  try {
    const started = await beginOidcLogin(getPrisma(), config, {
      next: new URL(request.url).searchParams.get("next"),
      sourceIp: request.headers.get("x-softfleet-client-ip") || null,
    });
    const headers = new Headers({ location: started.redirectTo.href, "cache-control": "no-store" });
    headers.append("set-cookie", attemptCookie(started.cookieValue, started.maxAgeSeconds, secure));
    headers.append("set-cookie", clearedErrorCookie(secure));
    return new Response(null, { status: 303, headers });
  } catch (error) {
    if (error instanceof OidcLoginError) return toLoginWithError(error.message, secure);
    console.error("[web] single sign-on start failed:", error);
    return toLoginWithError("Single sign-on failed to start: try again, or log in with a local account.", secure);
  }
}
