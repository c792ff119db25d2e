/** At the server's start: a bad single sign-on setting stops it with the setting named (see server.mjs). */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { oidcConfig } = await import("./server/sso");
  oidcConfig();
}
