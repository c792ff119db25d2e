import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@softfleet/db";
import * as client from "openid-client";
import { z } from "zod";
import type { OidcConfig } from "./oidc-config";

/**
 * The authorization code flow with PKCE (openid-client): `beginOidcLogin`
 * keeps state, nonce and the PKCE verifier in a row keyed by the SHA-256 of a
 * random value the browser holds in a cookie; `finishOidcLogin` checks the
 * callback against that row (state first, then the code exchange checks the
 * ID token's signature, audience, expiry and nonce) and returns the claims.
 */
export const OIDC_ATTEMPT_COOKIE = "softfleet_oidc";
const ATTEMPT_TTL_MS = 10 * 60_000;
/** Unfinished sign-ins one address may hold at once: a flood of starts is refused, real users finish theirs. */
export const MAX_PENDING_PER_ADDRESS = 30;

export type OidcErrorCode =
  | "too_many"
  | "provider_unreachable"
  | "bad_callback"
  | "no_attempt"
  | "wrong_state"
  | "provider_error"
  | "wrong_nonce"
  | "token_rejected";

/** A sign-in that cannot go on: the message is for the person signing in. */
export class OidcLoginError extends Error {
  constructor(
    readonly code: OidcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

let discovered: { issuer: string; at: number; config: Promise<client.Configuration> } | undefined;

/** The provider's metadata and keys, discovered once and again after an hour or a failure. */
function providerConfig(config: OidcConfig): Promise<client.Configuration> {
  const now = Date.now();
  if (discovered && discovered.issuer === config.issuer.href && now - discovered.at < 3_600_000) {
    return discovered.config;
  }
  const insecure = config.issuer.protocol === "http:"; // allowed only on loopback (see oidc-config)
  const pending = client.discovery(
    config.issuer,
    config.clientId,
    config.clientSecret,
    config.clientSecret ? client.ClientSecretPost(config.clientSecret) : client.None(),
    { timeout: 10, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) },
  );
  discovered = { issuer: config.issuer.href, at: now, config: pending };
  pending.catch(() => {
    if (discovered?.config === pending) discovered = undefined;
  });
  return pending;
}

function attemptIdOf(cookieValue: string): string {
  return createHash("sha256").update(cookieValue).digest("hex");
}

/** A `next` path: local (one leading slash, not a scheme-relative //host), printable, bounded. */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || next.length > 500 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return "/fleet";
  return next;
}

export async function beginOidcLogin(
  db: Db,
  config: OidcConfig,
  request: { next: string | null; sourceIp: string | null },
): Promise<{ redirectTo: URL; cookieValue: string; maxAgeSeconds: number }> {
  const now = new Date();
  if (request.sourceIp) {
    const pending = await db.oidcLoginAttempt.count({ where: { sourceIp: request.sourceIp, expiresAt: { gt: now } } });
    if (pending >= MAX_PENDING_PER_ADDRESS) {
      throw new OidcLoginError("too_many", "Too many sign-ins started from your address: try again in a few minutes.");
    }
  }
  let provider: client.Configuration;
  try {
    provider = await providerConfig(config);
  } catch (error) {
    throw new OidcLoginError(
      "provider_unreachable",
      `The identity provider (${config.issuer.href}) could not be reached: ${(error as Error).message}. Try again, or log in with a local account.`,
    );
  }
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const cookieValue = randomBytes(32).toString("base64url");
  await db.oidcLoginAttempt.deleteMany({ where: { expiresAt: { lte: now } } });
  await db.oidcLoginAttempt.create({
    data: {
      id: attemptIdOf(cookieValue),
      state,
      nonce,
      codeVerifier,
      nextPath: safeNextPath(request.next),
      sourceIp: request.sourceIp,
      expiresAt: new Date(now.getTime() + ATTEMPT_TTL_MS),
    },
  });
  const redirectTo = client.buildAuthorizationUrl(provider, {
    redirect_uri: config.redirectUri.href,
    scope: config.scopes,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { redirectTo, cookieValue, maxAgeSeconds: ATTEMPT_TTL_MS / 1000 };
}

const bounded = (max: number) => z.string().min(1).max(max);
/** The callback's query: a code and a state, or the provider's error; every value bounded. */
const callbackQuery = z.union([
  z.object({ code: bounded(4096), state: bounded(512), iss: bounded(2000).optional() }),
  z.object({
    error: bounded(200),
    error_description: z.string().max(1000).optional(),
    state: bounded(512).optional(),
    iss: bounded(2000).optional(),
  }),
]);

export interface OidcClaims {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
  nextPath: string;
}

/**
 * Checks the callback and exchanges its code. A missing, expired, reused or
 * wrong state changes nothing (the attempt stays for its rightful callback);
 * past the state check the attempt is used up, whatever the code exchange says.
 */
export async function finishOidcLogin(
  db: Db,
  config: OidcConfig,
  callback: { search: string; cookieValue: string | undefined },
): Promise<OidcClaims> {
  if (callback.search.length > 8192) throw new OidcLoginError("bad_callback", "The sign-in's answer is too long.");
  const params = new URLSearchParams(callback.search);
  const parsed = callbackQuery.safeParse(Object.fromEntries(params));
  if (!parsed.success || [...params.keys()].length > 10) {
    throw new OidcLoginError("bad_callback", "The sign-in's answer is malformed (it needs a code and a state).");
  }
  if (!callback.cookieValue || callback.cookieValue.length > 100) {
    throw new OidcLoginError(
      "no_attempt",
      "No sign-in was started in this browser (or it was already used): start again with the sign-in button.",
    );
  }
  const id = attemptIdOf(callback.cookieValue);
  const attempt = await db.oidcLoginAttempt.findUnique({ where: { id } });
  if (!attempt || attempt.expiresAt <= new Date()) {
    throw new OidcLoginError(
      "no_attempt",
      "This sign-in expired or was already used: start again with the sign-in button.",
    );
  }
  if (parsed.data.state !== attempt.state) {
    throw new OidcLoginError(
      "wrong_state",
      "The sign-in's answer does not belong to the sign-in this browser started (wrong state): nothing was changed. Start again with the sign-in button.",
    );
  }
  // Used once: of two callbacks racing with the same state, one goes on.
  const { count } = await db.oidcLoginAttempt.deleteMany({ where: { id, state: attempt.state } });
  if (count !== 1) throw new OidcLoginError("no_attempt", "This sign-in was already used: start again.");
  if ("error" in parsed.data) {
    const description = parsed.data.error_description ? ` (${parsed.data.error_description.slice(0, 300)})` : "";
    throw new OidcLoginError(
      "provider_error",
      `The identity provider refused the sign-in: ${parsed.data.error}${description}.`,
    );
  }
  return exchangeCode(config, params, attempt);
}

async function exchangeCode(
  config: OidcConfig,
  params: URLSearchParams,
  attempt: { state: string; nonce: string; codeVerifier: string; nextPath: string },
): Promise<OidcClaims> {
  let provider: client.Configuration;
  try {
    provider = await providerConfig(config);
  } catch (error) {
    throw new OidcLoginError(
      "provider_unreachable",
      `The identity provider could not be reached: ${(error as Error).message}.`,
    );
  }
  // The URL the provider redirected to, as configured (a proxy may have changed the one this server saw).
  const currentUrl = new URL(config.redirectUri);
  currentUrl.search = params.toString();
  try {
    const tokens = await client.authorizationCodeGrant(provider, currentUrl, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new OidcLoginError("token_rejected", "The identity provider sent no ID token.");
    let claims: Record<string, unknown> = { ...idClaims };
    // Providers put profile and group claims in the ID token or only at userinfo: both are read.
    if (provider.serverMetadata().userinfo_endpoint && tokens.access_token) {
      const userinfo = await client.fetchUserInfo(provider, tokens.access_token, idClaims.sub);
      claims = { ...userinfo, ...idClaims };
    }
    return { issuer: idClaims.iss, subject: idClaims.sub, claims, nextPath: attempt.nextPath };
  } catch (error) {
    if (error instanceof OidcLoginError) throw error;
    if (isNonceMismatch(error)) {
      throw new OidcLoginError(
        "wrong_nonce",
        "The identity provider's token was not issued for this sign-in (wrong nonce): nothing was changed. Start again with the sign-in button.",
      );
    }
    throw new OidcLoginError(
      "token_rejected",
      `The identity provider's answer was refused: ${(error as Error).message}. Start again with the sign-in button.`,
    );
  }
}

function isNonceMismatch(error: unknown): boolean {
  const inner = (error as { cause?: { cause?: { claim?: unknown } } })?.cause;
  return (
    error instanceof client.ClientError &&
    error.code === "OAUTH_JWT_CLAIM_COMPARISON_FAILED" &&
    inner?.cause?.claim === "nonce"
  );
}
