import { isIP } from "node:net";
import { z } from "zod";
import { parseRoleMap, RoleMapError, type RoleRule } from "../domain/sso-roles";

/** Single sign-on's settings (OIDC_*), validated once at start; SSO is off unless OIDC_ISSUER is set. */
export interface OidcConfig {
  issuer: URL;
  clientId: string;
  /** Unset: a public client (PKCE alone). */
  clientSecret?: string;
  redirectUri: URL;
  scopes: string;
  roleClaim: string;
  roleRules: RoleRule[];
  displayName: string;
}

export class OidcConfigError extends Error {}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** An http(s) URL; plain http only on loopback (tests, a provider beside the app). */
const url = (what: string) =>
  z
    .string({ error: "is required with OIDC_ISSUER" })
    .max(2000, "is too long")
    .transform((value, ctx) => {
      try {
        return new URL(value);
      } catch {
        ctx.addIssue({ code: "custom", message: `must be the ${what}'s URL (https://…)` });
        return z.NEVER;
      }
    })
    .refine(
      (value) => value.protocol === "https:" || (value.protocol === "http:" && isLoopback(value.hostname)),
      "must be https (plain http is accepted only on loopback: 127.0.0.1, ::1, localhost)",
    );

const schema = z.object({
  OIDC_ISSUER: url("identity provider (its issuer)"),
  OIDC_CLIENT_ID: z.string({ error: "is required with OIDC_ISSUER" }).min(1).max(500, "is too long"),
  OIDC_CLIENT_SECRET: z.string().max(2000, "is too long").optional(),
  OIDC_REDIRECT_URI: url("callback (https://<softfleet>/api/auth/oidc/callback)").refine(
    (value) => value.pathname === "/api/auth/oidc/callback",
    "must end in /api/auth/oidc/callback (softfleet's callback), e.g. https://softfleet.example.com/api/auth/oidc/callback",
  ),
  OIDC_SCOPES: z
    .string()
    .max(500, "is too long")
    .regex(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, "must be scopes separated by single spaces")
    .refine((value) => value.split(" ").includes("openid"), 'must include "openid"')
    .default("openid profile email"),
  OIDC_ROLE_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:/.-]{1,100}$/, "must be a claim's name (or a dotted path such as realm_access.roles)")
    .default("groups"),
  OIDC_ROLE_MAP: z.string({ error: "is required with OIDC_ISSUER (e.g. softfleet-ops=operator,*=viewer)" }).max(5000),
  OIDC_DISPLAY_NAME: z.string().trim().min(1).max(40, "must be at most 40 characters").default("single sign-on"),
});

/**
 * Reads OIDC_* from the environment: null when SSO is off (no OIDC_ISSUER);
 * throws OidcConfigError naming every bad setting otherwise.
 */
export function loadOidcConfig(env: NodeJS.ProcessEnv = process.env): OidcConfig | null {
  const set = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key.startsWith("OIDC_") && value !== undefined && value !== ""),
  );
  if (!set.OIDC_ISSUER) {
    const stray = Object.keys(set);
    if (stray.length > 0) throw new OidcConfigError(`${stray.join(", ")} set without OIDC_ISSUER: set it too, or none`);
    return null;
  }
  const result = schema.safeParse(set);
  const lines = result.success ? [] : result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  let roleRules: RoleRule[] = [];
  if (set.OIDC_ROLE_MAP) {
    try {
      roleRules = parseRoleMap(set.OIDC_ROLE_MAP);
    } catch (error) {
      if (!(error instanceof RoleMapError)) throw error;
      lines.push(`  OIDC_ROLE_MAP: ${error.message}`);
    }
  }
  if (!result.success || lines.length > 0) {
    throw new OidcConfigError(`invalid single sign-on configuration:\n${lines.join("\n")}`);
  }
  const env_ = result.data;
  return {
    issuer: env_.OIDC_ISSUER,
    clientId: env_.OIDC_CLIENT_ID,
    clientSecret: env_.OIDC_CLIENT_SECRET,
    redirectUri: env_.OIDC_REDIRECT_URI,
    scopes: env_.OIDC_SCOPES,
    roleClaim: env_.OIDC_ROLE_CLAIM,
    roleRules,
    displayName: env_.OIDC_DISPLAY_NAME,
  };
}
