/**
 * At the server's start: a bad single sign-on setting (OIDC_*) stops it, each
 * bad one named. Next would only log an error thrown here and serve on.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { oidcConfig } = await import("./server/sso");
  try {
    oidcConfig();
  } catch (error) {
    console.error(`[web] ${(error as Error).message}`);
    process.exit(1);
  }
}
