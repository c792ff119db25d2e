import { writeAudit } from "../audit";
import type { Context } from "../context";
import { claimValues, mapRole, noRoleMessage } from "../domain/sso-roles";
import { linkSsoUser, type SsoIdentity, SsoLinkRace, SsoRefusal, type SsoUser } from "../domain/sso-users";
import type { OidcConfig } from "./oidc-config";
import type { OidcClaims } from "./oidc-flow";
import { createSession } from "./session";

/** A sign-in the role map or the user rules refuse; audited, nothing else changed. */
export class SsoLoginRefused extends Error {}

const text = (value: unknown, max: number) =>
  typeof value === "string" && value.trim() ? value.slice(0, max) : undefined;

export function identityOf(result: OidcClaims): SsoIdentity {
  return {
    issuer: result.issuer,
    subject: result.subject,
    preferredUsername: text(result.claims.preferred_username, 200),
    email: text(result.claims.email, 320),
    name: text(result.claims.name, 200),
  };
}

/**
 * Signs in the provider's user: maps the role, creates or updates the linked
 * user and opens a session, with every change audited in one transaction.
 * A refusal (no mapped role, a disabled user, the last admin's demotion) is
 * audited alone and throws SsoLoginRefused.
 */
export async function signInWithSso(
  ctx: Context,
  config: Pick<OidcConfig, "roleClaim" | "roleRules">,
  result: OidcClaims,
): Promise<{ user: SsoUser; token: string; expiresAt: Date }> {
  const identity = identityOf(result);
  const values = claimValues(result.claims, config.roleClaim);
  const decision = mapRole(config.roleRules, values);
  const ssoDetails = { method: "sso", issuer: identity.issuer, subject: identity.subject.slice(0, 255) };
  if (decision.role === null) {
    await writeAudit(ctx.db, ctx, "auth.sso_refused", {
      details: { ...ssoDetails, reason: "no role", claim: config.roleClaim, values: values.slice(0, 20) },
      actor: { type: "system", userId: null, name: identity.preferredUsername ?? identity.email ?? "unknown user" },
    });
    throw new SsoLoginRefused(noRoleMessage(config.roleClaim, values));
  }
  const role = decision.role;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.db.$transaction(async (tx) => {
        const link = await linkSsoUser(tx, identity, role);
        const { user } = link;
        const actor = { type: "user" as const, userId: user.id, name: user.username };
        const target = { type: "user", id: user.id, name: user.username };
        if (link.created) {
          await writeAudit(tx, ctx, "user.created", { target, details: { role, ...ssoDetails }, actor });
        }
        if (link.roleChange) {
          await writeAudit(tx, ctx, "user.role_changed", {
            target,
            details: { ...link.roleChange, by: "sso claims", claim: config.roleClaim, matched: decision.matched },
            actor,
          });
        }
        const session = await createSession(tx, user.id, ctx.meta);
        await writeAudit(tx, ctx, "auth.login", { target, details: { ...ssoDetails, role }, actor });
        return { user, ...session };
      });
    } catch (error) {
      if (error instanceof SsoLinkRace && attempt === 0) continue;
      if (!(error instanceof SsoRefusal)) throw error;
      await writeAudit(ctx.db, ctx, "auth.sso_refused", {
        target: { type: "user", id: error.user.id, name: error.user.username },
        details: { ...ssoDetails, reason: error.reason, role },
        actor: { type: "system", userId: null, name: error.user.username },
      });
      throw new SsoLoginRefused(error.message);
    }
  }
}
