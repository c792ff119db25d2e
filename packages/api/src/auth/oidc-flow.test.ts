import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { loginAtProvider, startTestOidcProvider, type TestOidcProvider } from "@softfleet/testkit/oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../context";
import { loadOidcConfig, type OidcConfig } from "./oidc-config";
import { beginOidcLogin, finishOidcLogin, MAX_PENDING_PER_ADDRESS, OidcLoginError, safeNextPath } from "./oidc-flow";
import { signInWithSso } from "./sso-login";

/** The code flow against a real OpenID provider (oidc-provider on loopback), over real HTTP, on real Postgres. */
let t: TestDatabase;
let provider: TestOidcProvider;
let config: OidcConfig;
const redirectUri = "http://127.0.0.1:9/api/auth/oidc/callback"; // never contacted: the test carries the callback

beforeAll(async () => {
  t = await createTestDatabase();
  provider = await startTestOidcProvider({ redirectUri });
  config = loadOidcConfig(provider.env) as OidcConfig;
});
afterAll(async () => {
  await provider?.stop();
  await t?.drop();
});

const begin = (next: string | null = null, sourceIp = "127.0.0.1") => beginOidcLogin(t.db, config, { next, sourceIp });

function ctx(): Context {
  return { db: t.db, session: null, meta: { sourceIp: "127.0.0.1", userAgent: "test", secure: false, setCookie() {} } };
}

async function failure(promise: Promise<unknown>): Promise<OidcLoginError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OidcLoginError);
  return error as OidcLoginError;
}

async function nothingCreated() {
  expect(await t.db.user.count({ where: { oidcSubject: { not: null } } })).toBe(0);
  expect(await t.db.session.count()).toBe(0);
}

describe("single sign-on's code flow", () => {
  it("signs in at the provider and returns its claims (groups from userinfo), once", async () => {
    const started = await begin("/groups");
    expect(started.redirectTo.origin).toBe(provider.issuer);
    expect(started.redirectTo.searchParams.get("code_challenge_method")).toBe("S256");
    const callback = await loginAtProvider(started.redirectTo, "olivia");
    expect(callback.href.startsWith(redirectUri)).toBe(true);
    const result = await finishOidcLogin(t.db, config, { search: callback.search, cookieValue: started.cookieValue });
    expect(result).toMatchObject({ issuer: provider.issuer, subject: "olivia", nextPath: "/groups" });
    expect(result.claims).toMatchObject({ preferred_username: "olivia", groups: ["softfleet-ops", "staff"] });
    const signed = await signInWithSso(ctx(), config, result);
    expect(signed.user).toMatchObject({ username: "olivia", role: "operator", displayName: "Olivia Ops" });

    // The same answer again (a replay, a reload of the callback): refused, nothing more created.
    const sessions = await t.db.session.count();
    const replay = await failure(
      finishOidcLogin(t.db, config, { search: callback.search, cookieValue: started.cookieValue }),
    );
    expect(replay.code).toBe("no_attempt");
    expect(await t.db.session.count()).toBe(sessions);
    await t.db.session.deleteMany();
    await t.db.user.deleteMany();
  });

  it("refuses an answer with a wrong state, changing nothing (this browser's sign-in stays)", async () => {
    const started = await begin();
    const forged = new URL(started.redirectTo);
    forged.searchParams.set("state", "forged-state-of-another-sign-in");
    const callback = await loginAtProvider(forged, "olivia");
    expect(callback.searchParams.get("state")).toBe("forged-state-of-another-sign-in");
    const error = await failure(
      finishOidcLogin(t.db, config, { search: callback.search, cookieValue: started.cookieValue }),
    );
    expect(error.code).toBe("wrong_state");
    expect(error.message).toMatch(/wrong state.*nothing was changed/);
    await nothingCreated();
    expect(await t.db.oidcLoginAttempt.count({ where: { state: started.redirectTo.searchParams.get("state")! } })).toBe(
      1,
    );
  });

  it("refuses an ID token issued for another nonce, changing nothing", async () => {
    const started = await begin();
    const forged = new URL(started.redirectTo);
    forged.searchParams.set("nonce", "nonce-of-another-sign-in");
    const callback = await loginAtProvider(forged, "olivia");
    const error = await failure(
      finishOidcLogin(t.db, config, { search: callback.search, cookieValue: started.cookieValue }),
    );
    expect(error.code).toBe("wrong_nonce");
    expect(error.message).toMatch(/wrong nonce.*nothing was changed/);
    await nothingCreated();
  });

  it("refuses a callback without this browser's sign-in, or after it expired", async () => {
    const started = await begin();
    const callback = await loginAtProvider(started.redirectTo, "victor");
    expect(
      (await failure(finishOidcLogin(t.db, config, { search: callback.search, cookieValue: undefined }))).code,
    ).toBe("no_attempt");
    expect(
      (await failure(finishOidcLogin(t.db, config, { search: callback.search, cookieValue: "someone-elses" }))).code,
    ).toBe("no_attempt");
    await t.db.oidcLoginAttempt.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await failure(
      finishOidcLogin(t.db, config, { search: callback.search, cookieValue: started.cookieValue }),
    );
    expect(expired.code).toBe("no_attempt");
    expect(expired.message).toMatch(/expired or was already used/);
    await nothingCreated();
  });

  it("refuses malformed and oversized answers before anything else", async () => {
    const started = await begin();
    const state = started.redirectTo.searchParams.get("state")!;
    const cases = [
      "",
      `?state=${state}`,
      `?code=${"c".repeat(5000)}&state=${state}`,
      `?code=x&state=${"s".repeat(9000)}`,
    ];
    for (const search of cases) {
      expect((await failure(finishOidcLogin(t.db, config, { search, cookieValue: started.cookieValue }))).code).toBe(
        "bad_callback",
      );
    }
    const denied = await failure(
      finishOidcLogin(t.db, config, {
        search: `?error=access_denied&error_description=user+said+no&state=${state}`,
        cookieValue: started.cookieValue,
      }),
    );
    expect(denied).toMatchObject({ code: "provider_error" });
    expect(denied.message).toContain("access_denied (user said no)");
    await nothingCreated();
  });

  it("bounds unfinished sign-ins per address", async () => {
    await t.db.oidcLoginAttempt.deleteMany();
    for (let i = 0; i < MAX_PENDING_PER_ADDRESS; i++) await begin(null, "192.0.2.7");
    expect((await failure(begin(null, "192.0.2.7"))).code).toBe("too_many");
    await begin(null, "192.0.2.8");
  });

  it("reports a provider that does not answer", async () => {
    const offline = loadOidcConfig({ ...provider.env, OIDC_ISSUER: "http://127.0.0.1:9" }) as OidcConfig;
    const error = await failure(beginOidcLogin(t.db, offline, { next: null, sourceIp: null }));
    expect(error.code).toBe("provider_unreachable");
    expect(error.message).toContain("http://127.0.0.1:9/");
  });
});

describe("where a sign-in returns to", () => {
  it("is a local path, else the fleet", () => {
    expect(safeNextPath("/nodes/abc?tab=events")).toBe("/nodes/abc?tab=events");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "fleet", "/a b", "", null]) {
      expect(safeNextPath(bad)).toBe("/fleet");
    }
  });
});
