/** Single sign-on (OpenID Connect) for the web app's routes: settings, the code flow, and the sign-in. */
export { loadOidcConfig, type OidcConfig, OidcConfigError } from "./oidc-config";
export {
  beginOidcLogin,
  finishOidcLogin,
  OIDC_ATTEMPT_COOKIE,
  type OidcClaims,
  OidcLoginError,
  safeNextPath,
} from "./oidc-flow";
export { clearedSessionCookie, sessionCookie } from "./session";
export { SsoLoginRefused, signInWithSso } from "./sso-login";
