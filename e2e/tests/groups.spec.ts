import { expect, test } from "@playwright/test";
import { insertOfflineGroup, removeInsertedFixtures, uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";
import { E2E_USERS } from "./users";

test.afterEach(removeInsertedFixtures);

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

test("a large group's members come a page at a time, and nodes to add are found by hostname", async ({ page }) => {
  const suffix = uniqueSuffix();
  const host = (i: number) => `pg-${suffix}-${String(i).padStart(2, "0")}`;
  const { groupId } = await insertOfflineGroup(
    `e2e paged ${suffix}`,
    Array.from({ length: 60 }, (_, i) => ({ hostname: host(i + 1) })),
  );
  await insertOfflineGroup(`e2e outside ${suffix}`, [{ hostname: `out-${suffix}-a` }, { hostname: `out-${suffix}-b` }]);

  await logIn(page, "admin");
  await page.goto(`/groups/${groupId}`);
  const members = page.getByRole("table", { name: `Members of e2e paged ${suffix}` });
  await expect(members.getByRole("row")).toHaveCount(26); // the header and the first 25
  const pages = page.getByRole("navigation", { name: "Member pages" });
  await expect(pages.getByRole("status")).toHaveText("Members 1–25 of 60 · page 1 of 3");
  await pages.getByRole("button", { name: "Next" }).click();
  await expect(members.getByRole("row").nth(1)).toContainText(host(26));

  await page.getByLabel("Find a member").fill(`${suffix}-4`);
  await expect(members.getByRole("row")).toHaveCount(11); // 40-49
  await members.getByRole("button", { name: `Remove ${host(42)}` }).click();
  await expect(members.getByRole("row")).toHaveCount(10);

  // The nodes to add: found by hostname among the fleet (not members), picked and added.
  const candidates = page.getByRole("group", { name: "Nodes not in this group" });
  await page.getByLabel("Filter nodes").fill(`out-${suffix}`);
  await expect(candidates.getByRole("checkbox", { name: /out-/ })).toHaveCount(2);
  await candidates.getByRole("checkbox", { name: new RegExp(`out-${suffix}-b`) }).check();
  await page.getByLabel("Filter nodes").fill(host(42));
  await candidates.getByRole("checkbox", { name: new RegExp(host(42)) }).check();
  await expect(page.getByText("2 selected")).toBeVisible();
  await page.getByRole("button", { name: "Add members" }).click();
  await expect(page.getByText("0 selected")).toBeVisible();
  await expect(members.getByRole("row")).toHaveCount(11);
  await expect(members.getByRole("row").filter({ hasText: host(42) })).toHaveCount(1);
});
