import { describe, expect, it } from "vitest";
import { loadOidcConfig, OidcConfigError } from "./oidc-config";

const good = {
  OIDC_ISSUER: "https://sso.example.com/realms/ops",
  OIDC_CLIENT_ID: "softfleet",
  OIDC_REDIRECT_URI: "https://softfleet.example.com/api/auth/oidc/callback",
  OIDC_ROLE_MAP: "softfleet-admins=admin,*=viewer",
};

describe("single sign-on's settings", () => {
  it("are off without OIDC_ISSUER", () => {
    expect(loadOidcConfig({})).toBeNull();
    expect(loadOidcConfig({ OIDC_ISSUER: "" })).toBeNull();
  });

  it("take defaults for scopes, claim and button name", () => {
    expect(loadOidcConfig(good)).toMatchObject({
      clientId: "softfleet",
      clientSecret: undefined,
      scopes: "openid profile email",
      roleClaim: "groups",
      displayName: "single sign-on",
      roleRules: [
        { value: "softfleet-admins", role: "admin" },
        { value: "*", role: "viewer" },
      ],
    });
  });

  it("name every bad setting", () => {
    const error = (() => {
      try {
        loadOidcConfig({
          OIDC_ISSUER: "http://sso.example.com",
          OIDC_REDIRECT_URI: "https://softfleet.example.com/callback",
          OIDC_SCOPES: "profile email",
          OIDC_ROLE_MAP: "ops=root",
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(OidcConfigError);
    expect(error?.message).toContain("OIDC_ISSUER: must be https (plain http is accepted only on loopback");
    expect(error?.message).toContain("OIDC_CLIENT_ID: is required with OIDC_ISSUER");
    expect(error?.message).toContain("OIDC_REDIRECT_URI: must end in /api/auth/oidc/callback");
    expect(error?.message).toContain('OIDC_SCOPES: must include "openid"');
    expect(() => loadOidcConfig({ ...good, OIDC_REDIRECT_URI: undefined })).toThrow(
      "OIDC_REDIRECT_URI: is required with OIDC_ISSUER",
    );
    expect(error?.message).toContain('OIDC_ROLE_MAP: rule "ops=root": the role must be one of');
  });

  it("accept plain http on loopback only", () => {
    expect(loadOidcConfig({ ...good, OIDC_ISSUER: "http://127.0.0.1:8080" })?.issuer.href).toBe(
      "http://127.0.0.1:8080/",
    );
    expect(() => loadOidcConfig({ ...good, OIDC_ISSUER: "http://127.0.0.1.example.com" })).toThrow(/must be https/);
  });

  it("refuse OIDC_* settings without an issuer rather than ignore them", () => {
    expect(() => loadOidcConfig({ OIDC_CLIENT_ID: "x" })).toThrow(/OIDC_CLIENT_ID set without OIDC_ISSUER/);
  });
});
