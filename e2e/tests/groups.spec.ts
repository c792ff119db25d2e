import { expect, test } from "@playwright/test";
import { logIn } from "./helpers";
import { E2E_USERS } from "./users";

test("an admin creates a group and finds it in the audit log", async ({ page }) => {
  await logIn(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Groups" }).click();
  await expect(page.getByRole("heading", { name: "Groups", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "New group" }).click();
  await page.getByLabel("Name", { exact: true }).fill("e2e canaries");
  await page.getByLabel("Description", { exact: true }).fill("first to soft-reboot");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByRole("link", { name: "e2e canaries" })).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  const entry = page.getByRole("row").filter({ hasText: "group.created" }).filter({ hasText: "e2e canaries" });
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(E2E_USERS.admin.username);

  // The filters narrow the log to that action.
  await page.getByLabel("Action", { exact: true }).selectOption("group.created");
  await expect(page.getByRole("row").filter({ hasText: "auth.login" })).toHaveCount(0);
  await expect(entry).toHaveCount(1);
});

test("a viewer sees groups but no controls to change them", async ({ page }) => {
  await logIn(page, "viewer");
  await page.goto("/groups");
  await expect(page.getByRole("heading", { name: "Groups", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "New group" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Delete" })).toHaveCount(0);
});
