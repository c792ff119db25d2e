import type { AddressInfo } from "node:net";
import { freePort } from "@softfleet/db/embedded";
import Provider from "oidc-provider";

/**
 * A real OpenID provider for the tests (oidc-provider), on 127.0.0.1 at a free
 * port, with its own login and consent pages (its development interactions:
 * any password is accepted, the login names the account). Its accounts carry
 * `groups` the way Keycloak or Dex send them.
 */
export const TEST_OIDC_ACCOUNTS = {
  /** Mapped to admin. */
  ada: { name: "Ada Admin", email: "ada@example.test", groups: ["softfleet-admins", "staff"] },
  /** Mapped to operator. */
  olivia: { name: "Olivia Ops", email: "olivia@example.test", groups: ["softfleet-ops", "staff"] },
  /** Mapped to viewer. */
  victor: { name: "Victor Viewer", email: "victor@example.test", groups: ["softfleet-viewers"] },
  /** In no mapped group: refused. */
  nadia: { name: "Nadia Nomap", email: "nadia@example.test", groups: ["marketing", "staff"] },
  /** Named like the e2e's local admin: must get an account of its own, never the local one. */
  "e2e-admin": { name: "Not The Local Admin", email: "e2e-admin@example.test", groups: ["softfleet-viewers"] },
} as const;

export const TEST_OIDC_ROLE_MAP = "softfleet-admins=admin,softfleet-ops=operator,softfleet-viewers=viewer";
export const TEST_OIDC_CLIENT = { id: "softfleet", secret: "softfleet-test-client-secret-0123456789" };

export interface TestOidcProvider {
  issuer: string;
  /** The OIDC_* settings of a web app whose callback is `redirectUri`. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestOidcProvider(options: {
  redirectUri: string;
  port?: number;
}): Promise<TestOidcProvider> {
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_OIDC_CLIENT.id,
        client_secret: TEST_OIDC_CLIENT.secret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    pkce: { required: () => true },
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username", "groups"],
      email: ["email"],
    },
    async findAccount(_ctx, accountId) {
      const known = (
        TEST_OIDC_ACCOUNTS as Record<string, (typeof TEST_OIDC_ACCOUNTS)[keyof typeof TEST_OIDC_ACCOUNTS]>
      )[accountId];
      return {
        accountId,
        claims: async () => ({
          sub: accountId,
          preferred_username: accountId,
          ...(known ? { name: known.name, email: known.email, groups: [...known.groups] } : {}),
        }),
      };
    },
    cookies: { keys: ["softfleet-test-provider-cookie-key"] },
    features: { devInteractions: { enabled: true } },
  });
  // The development interactions' warnings are expected here.
  provider.on("server_error", (_ctx, error) => console.error("[oidc-provider]", error));
  const server = provider.listen(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    env: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: TEST_OIDC_CLIENT.id,
      OIDC_CLIENT_SECRET: TEST_OIDC_CLIENT.secret,
      OIDC_REDIRECT_URI: options.redirectUri,
      OIDC_ROLE_MAP: TEST_OIDC_ROLE_MAP,
      OIDC_DISPLAY_NAME: "Test IdP",
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * What a browser does at the provider, over plain HTTP: follows its redirects,
 * submits its login form as `login` and its consent form, and returns the URL
 * it sends the browser back to (the app's callback, with code and state).
 */
export async function loginAtProvider(authorizationUrl: URL | string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.origin !== origin) return url;
    const response = await fetch(url, {
      method: body ? "POST" : "GET",
      headers: { cookie: cookieHeader(), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body,
      redirect: "manual",
    });
    keep(response);
    body = undefined;
    const location = response.headers.get("location");
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"[^>]*method="post"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!response.ok || !action || !prompt) {
      throw new Error(`the provider answered ${response.status} at ${url}: ${html.slice(0, 300)}`);
    }
    url = new URL(action.replaceAll("&amp;", "&"), url);
    body = new URLSearchParams(prompt === "login" ? { prompt, login, password: "any" } : { prompt });
  }
  throw new Error("the provider redirected more than 20 times");
}
