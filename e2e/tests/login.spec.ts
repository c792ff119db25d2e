import { expect, test } from "@playwright/test";
import { E2E_USERS } from "./users";

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(E2E_USERS.admin.username);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong username or password");
  await expect(page).toHaveURL(/\/login$/);
});

test("pages need a login, and logging out ends the session", async ({ page }) => {
  await page.goto("/fleet");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Username").fill(E2E_USERS.viewer.username);
  await page.getByLabel("Password").fill(E2E_USERS.viewer.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Fleet", exact: true })).toBeVisible();
  await expect(page.getByText("No nodes yet")).toBeVisible();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/fleet");
  await expect(page).toHaveURL(/\/login$/);
});
