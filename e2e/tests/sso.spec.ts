import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { createPrismaClient } from "@softfleet/db";
import { logIn } from "./helpers";
import { E2E_USERS } from "./users";

/**
 * Single sign-on through a real OpenID provider (oidc-provider, started by
 * global-setup on loopback, with its own login and consent pages). Its
 * accounts' groups map to roles: softfleet-admins, -ops, -viewers.
 */
const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
test.afterAll(() => db.$disconnect());

/** The provider's pages ask for a web font: nothing leaves loopback. */
async function loopbackOnly(context: BrowserContext) {
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
}

async function signInAtProvider(page: Page, login: string) {
  await page.getByPlaceholder("Enter any login").fill(login);
  await page.getByPlaceholder("and password").fill("the provider's password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click(); // consent
}

async function ssoLogIn(page: Page, login: string) {
  await page.goto("/login");
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await signInAtProvider(page, login);
}

/** Starts a sign-in as the button does, with one parameter of the provider request replaced. */
async function forgedSignIn(page: Page, parameter: "state" | "nonce", login: string) {
  const start = await page.request.get("/api/auth/oidc/login", { maxRedirects: 0 });
  expect(start.status()).toBe(303);
  const authorization = new URL(start.headers().location!);
  expect(authorization.origin).toBe(process.env.E2E_OIDC_ISSUER);
  authorization.searchParams.set(parameter, `${parameter}-of-another-sign-in`);
  await page.goto(authorization.href);
  await signInAtProvider(page, login);
}

/** The page's message (Next keeps an empty route announcer with the same role). */
const alert = (page: Page) => page.getByRole("alert").filter({ hasText: /\S/ });

const ssoUser = (subject: string) => db.user.findFirst({ where: { oidcSubject: subject } });

test.beforeEach(async ({ context }) => loopbackOnly(context));

test("the login page offers single sign-on above the local form, kept for break-glass", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("link", { name: "Sign in with Test IdP" })).toBeVisible();
  await expect(page.getByRole("heading", { name: /Local account \(break-glass/ })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
});

test("an operator signs in through the provider and gets operator controls", async ({ page }) => {
  await ssoLogIn(page, "olivia");
  await expect(page.getByRole("heading", { name: "Fleet", exact: true })).toBeVisible();
  await expect(page.getByText("olivia · operator")).toBeVisible();
  await expect(page.getByText("Olivia Ops")).toBeVisible();
  await page.goto("/groups");
  await expect(page.getByRole("button", { name: "New group" })).toBeVisible();
  const audit = await db.auditEntry.findMany({
    where: { targetName: "olivia", action: { in: ["user.created", "auth.login"] } },
  });
  expect(audit.map((entry) => entry.action).sort()).toEqual(["auth.login", "user.created"]);
});

test("a user the map makes a viewer sees no operator controls", async ({ page }) => {
  await ssoLogIn(page, "victor");
  await expect(page.getByText("victor · viewer")).toBeVisible();
  await page.goto("/groups");
  await expect(page.getByRole("heading", { name: "Groups", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "New group" })).toHaveCount(0);
});

test("a user in no mapped group is refused, told which claim and values were seen", async ({ page }) => {
  await ssoLogIn(page, "nadia");
  await expect(page).toHaveURL(/\/login$/);
  await expect(alert(page)).toContainText(
    'Your account has no role in softfleet: its "groups" claim holds "marketing", "staff"',
  );
  expect(await ssoUser("nadia")).toBeNull();
  await page.goto("/fleet");
  await expect(page).toHaveURL(/\/login$/);
});

test("an SSO user named like a local admin gets an account of its own; the local admin still logs in", async ({
  page,
  browser,
}) => {
  await ssoLogIn(page, E2E_USERS.admin.username);
  await expect(page.getByText(`${E2E_USERS.admin.username}-2 · viewer`)).toBeVisible();
  const local = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const localPage = await local.newPage();
  await logIn(localPage, "admin");
  await expect(localPage.getByText(`${E2E_USERS.admin.username} · admin`)).toBeVisible();
  await local.close();
});

test("an answer with a wrong state is refused with a clear error, and nothing is created", async ({ page }) => {
  const sessions = await db.session.count();
  await forgedSignIn(page, "state", "ada");
  await expect(page).toHaveURL(/\/login$/);
  await expect(alert(page)).toContainText("(wrong state): nothing was changed");
  expect(await ssoUser("ada")).toBeNull();
  expect(await db.session.count()).toBe(sessions);
});

test("an ID token for a wrong nonce is refused with a clear error, and nothing is created", async ({ page }) => {
  const sessions = await db.session.count();
  await forgedSignIn(page, "nonce", "ada");
  await expect(page).toHaveURL(/\/login$/);
  await expect(alert(page)).toContainText("(wrong nonce): nothing was changed");
  expect(await ssoUser("ada")).toBeNull();
  expect(await db.session.count()).toBe(sessions);
  // The rightful sign-in then works, as an admin (the provider remembers the account: no pages there now).
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await expect(page.getByText("ada · admin")).toBeVisible();
});

test("a callback nobody started is refused, and a local password never opens an SSO account", async ({ page }) => {
  await page.goto("/api/auth/oidc/callback?code=made-up&state=made-up");
  await expect(page).toHaveURL(/\/login$/);
  await expect(alert(page)).toContainText("start again with the sign-in button");
  await db.user.upsert({
    where: { username: "sso-only" },
    create: {
      username: "sso-only",
      displayName: "SSO only",
      passwordHash: "!sso",
      oidcIssuer: process.env.E2E_OIDC_ISSUER,
      oidcSubject: "sso-only",
    },
    update: {},
  });
  await page.getByLabel("Username").fill("sso-only");
  await page.getByLabel("Password").fill("any password at all");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "single sign-on" })).toHaveText(
    "This account signs in with single sign-on: use the sign-in button above the form",
  );
});
