// @playwright/test's chromium is playwright-core's (the package this one declares).
import { type Browser, type BrowserContext, chromium } from "@playwright/test";

/** Debian's Chromium (or CHROMIUM_PATH), without the background traffic this closed network refuses. */
export function launchBenchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Logs `context` in through the login page, as a person would; its cookie then serves every page of it. */
export async function logIn(context: BrowserContext, webUrl: string, user: { username: string; password: string }) {
  const login = await context.newPage();
  await login.goto(`${webUrl}/login`);
  await login.getByLabel("Username").fill(user.username);
  await login.getByLabel("Password").fill(user.password);
  await login.getByRole("button", { name: "Log in" }).click();
  await login.getByRole("heading", { name: "Fleet", exact: true }).waitFor();
  await login.close();
}
