import { expect, type Page } from "@playwright/test";
import { E2E_USERS } from "./users";

export async function logIn(page: Page, who: keyof typeof E2E_USERS) {
  const user = E2E_USERS[who];
  await page.goto("/login");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Fleet", exact: true })).toBeVisible();
}
