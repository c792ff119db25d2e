import { expect, test } from "@playwright/test";
import { insertOfflineGroup, removeInsertedFixtures, startRolloutByApi, uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";

test.afterEach(removeInsertedFixtures);

test("an operator previews a rollout, starts it, watches it halt and aborts it", async ({ page }) => {
  const suffix = uniqueSuffix();
  const groupName = `e2e rollout ${suffix}`;
  const hosts = ["a", "b", "c"].map((letter) => `e2e-${suffix}-${letter}`);
  const { groupId } = await insertOfflineGroup(groupName, [
    { hostname: hosts[0]!, simulated: true },
    { hostname: hosts[1]! },
    { hostname: hosts[2]! },
  ]);

  await logIn(page, "admin");
  await page.goto("/rollouts");
  await page.getByRole("link", { name: "New rollout" }).click();
  await expect(page.getByRole("heading", { name: "New rollout", exact: true })).toBeVisible();
  await page.getByLabel("Group", { exact: true }).selectOption(groupId);

  // The defaults (a canary of 1, batches of 25 %) give three stages of one host each, in hostname order.
  const preview = page.getByRole("region", { name: "Preview" });
  const batches = preview.getByRole("list", { name: "Batches" }).locator("> li");
  await expect(batches).toHaveCount(3);
  await expect(batches.nth(0)).toContainText("Canary · 1 node");
  await expect(batches.nth(0)).toContainText(hosts[0]!);
  await expect(batches.nth(0)).toContainText("simulated");
  await expect(batches.nth(1)).toContainText("Batch 1 · 1 node");
  await expect(batches.nth(1)).toContainText(hosts[1]!);
  await expect(batches.nth(2)).toContainText(hosts[2]!);
  await expect(batches.nth(1)).not.toContainText("simulated");

  // An impossible value: the message names the field, next to it and in the preview.
  const maxUnavailable = page.getByLabel("Max unavailable (nodes)");
  await maxUnavailable.fill("9");
  await expect(maxUnavailable).toHaveAttribute("aria-invalid", "true");
  await expect(maxUnavailable).toHaveAccessibleDescription(/max unavailable \(9\) is above the group's 3 nodes/);
  await expect(preview.getByRole("alert")).toContainText("max unavailable (9)");
  await expect(page.getByRole("button", { name: "Start rollout…" })).toBeDisabled();

  await maxUnavailable.fill("1");
  await page.getByLabel("Settle delay (s)").fill("0");
  await expect(maxUnavailable).not.toHaveAttribute("aria-invalid", "true");
  await expect(batches).toHaveCount(3);
  await page.getByRole("button", { name: "Start rollout…" }).click();

  const confirm = page.getByRole("dialog", { name: "Reboot 3 nodes in 3 batches?" });
  await expect(confirm).toBeVisible();
  await confirm.getByRole("button", { name: "Start rollout" }).click();
  await expect(page).toHaveURL(/\/rollouts\/[^/]+$/);
  await expect(page.getByRole("heading", { name: `Rollout of ${groupName}` })).toBeVisible();

  // The canary host is offline: the engine fails it and halts, and the page shows it without a reload.
  const status = page.getByRole("status").filter({ hasText: /Halted|Running/ });
  await expect(status).toContainText("Halted: 1 node failed, more than the threshold of 0");
  const canaryRow = page.getByRole("row").filter({ hasText: hosts[0]! }).first();
  await expect(canaryRow).toContainText("Failed");
  await expect(canaryRow).toContainText("node is offline");
  await expect(page.getByRole("region", { name: "Canary" })).toContainText("node is offline");
  await expect(
    page.getByRole("region", { name: "Events" }).getByRole("row", { name: /running to halted/ }),
  ).toHaveCount(1);

  await page.getByRole("button", { name: "Abort" }).click();
  const abort = page.getByRole("dialog", { name: `Abort the rollout of ${groupName}?` });
  await abort.getByRole("button", { name: "Abort rollout" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Aborted" })).toContainText("Aborted: aborted by a user");
  await expect(page.getByRole("button", { name: "Abort" })).toHaveCount(0);
  await expect(page.getByRole("row").filter({ hasText: hosts[1]! }).first()).toContainText("Cancelled");

  await page.getByRole("link", { name: "← All rollouts" }).click();
  await expect(page.getByRole("heading", { name: "Rollouts", exact: true })).toBeVisible();
  const row = page
    .getByRole("table", { name: "Rollouts, newest first" })
    .getByRole("row")
    .filter({ hasText: groupName });
  await expect(row).toContainText("Aborted");
  await expect(row).toContainText("0 succeeded, 1 failed, 0 skipped of 3");
});

test("a group's label selector adds the nodes it matches to the rollout", async ({ page }) => {
  const suffix = uniqueSuffix();
  const groupName = `e2e selector ${suffix}`;
  const { groupId } = await insertOfflineGroup(groupName, [{ hostname: `e2e-${suffix}-member` }]);
  const labelled = `e2e-${suffix}-labelled`;
  await insertOfflineGroup(`e2e other ${suffix}`, [{ hostname: labelled, labels: { rack: `r-${suffix}` } }]);

  await logIn(page, "admin");
  await page.goto(`/groups/${groupId}`);
  await expect(page.getByText("No label selector: only the members above.")).toBeVisible();
  await page.getByRole("button", { name: "Edit label selector" }).click();
  await page.getByLabel("Label 1 key").fill("rack");
  await page.getByLabel("Label 1 value").fill(`r-${suffix}`);
  await page.getByRole("button", { name: "Save selector" }).click();
  await expect(page.getByRole("list", { name: "Label selector" })).toContainText(`rack=r-${suffix}`);
  await expect(page.getByText(/Matches 1 node now/)).toContainText(labelled);

  await page.getByRole("link", { name: "Start a rollout of this group" }).click();
  await expect(page.getByLabel("Group", { exact: true })).toHaveValue(groupId);
  const preview = page.getByRole("region", { name: "Preview" });
  await expect(preview).toContainText(`${groupName}: 2 nodes`);
  await expect(preview.getByRole("list", { name: "Batches" })).toContainText(labelled);
});

test("a large rollout's page shows one page of its nodes, and those of one state, kept in its URL", async ({
  page,
}) => {
  const suffix = uniqueSuffix();
  const host = (i: number) => `ro-${suffix}-${String(i).padStart(2, "0")}`;
  const groupName = `e2e paged rollout ${suffix}`;
  const { groupId } = await insertOfflineGroup(
    groupName,
    Array.from({ length: 60 }, (_, i) => ({ hostname: host(i + 1) })),
  );
  await logIn(page, "admin");
  const id = await startRolloutByApi(page, groupId, { canary: { count: 1 }, batch: { size: 20 }, settleSec: 0 });
  await page.goto(`/rollouts/${id}`);

  // The counts are the rollout's: all 60 nodes, the failed canary among them (offline: the engine halts).
  await expect(page.getByRole("status").filter({ hasText: "Halted" })).toContainText("1 node failed");
  const pages = page.getByRole("navigation", { name: "Node pages" });
  await expect(pages.getByRole("status")).toHaveText("Nodes 1–50 of 60 · page 1 of 2");
  const batch3 = page.getByRole("region", { name: "Batch 3" });
  await expect(batch3).toContainText("19 nodes");
  await expect(batch3.getByRole("row").filter({ hasText: host(50) })).toHaveCount(1);
  await expect(batch3.getByRole("row").filter({ hasText: host(51) })).toHaveCount(0);
  await pages.getByRole("button", { name: "Next" }).click();
  await expect(page).toHaveURL(/[?&]page=2/);
  await expect(batch3.getByRole("row").filter({ hasText: host(60) })).toHaveCount(1);
  await expect(page.getByRole("region", { name: "Canary" })).toContainText("Its nodes are on other pages.");

  // Only the failed ones: the canary, on page 1 again.
  await page.getByLabel("Show nodes").selectOption("failed");
  await expect(page).toHaveURL(/[?&]status=failed/);
  await expect(page).not.toHaveURL(/[?&]page=2/);
  const canary = page.getByRole("region", { name: "Canary" });
  await expect(canary.getByRole("row").filter({ hasText: host(1) })).toContainText("node is offline");
  await expect(page.getByRole("navigation", { name: "Node pages" })).toHaveCount(0);
  await expect(batch3).toContainText("None of its nodes in that state on this page.");

  // A reload keeps what the URL says.
  await page.reload();
  await expect(page.getByLabel("Show nodes")).toHaveValue("failed");
  await expect(canary.getByRole("row").filter({ hasText: host(1) })).toHaveCount(1);
});

test("a viewer sees rollouts but cannot start or change them", async ({ page }) => {
  await logIn(page, "viewer");
  await page.goto("/rollouts");
  await expect(page.getByRole("heading", { name: "Rollouts", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "New rollout" })).toHaveCount(0);
  await page.goto("/rollouts/new");
  await expect(page.getByRole("heading", { name: "Operators start rollouts" })).toBeVisible();
  await expect(page.getByLabel("Group", { exact: true })).toHaveCount(0);
});
