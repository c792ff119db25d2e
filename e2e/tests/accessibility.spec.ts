import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { insertOfflineGroup, removeInsertedFixtures, startRolloutByApi, uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";

test.afterEach(removeInsertedFixtures);

const pages = ["/fleet", "/groups", "/rollouts", "/reports", "/audit", "/settings"];

function violationList(path: string, violations: Awaited<ReturnType<AxeBuilder["analyze"]>>["violations"]) {
  return violations.map(
    (v) => `${path} ${v.id}: ${v.help} ${v.nodes.map((n) => `${n.target.join(" ")} ${n.failureSummary}`).join(", ")}`,
  );
}

for (const colorScheme of ["light", "dark"] as const) {
  test.describe(`in ${colorScheme} mode`, () => {
    test.use({ colorScheme });

    test("the login page has no accessibility violations", async ({ page }) => {
      await page.goto("/login");
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violations.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual(
        [],
      );
    });

    test("every section of the dashboard has no accessibility violations", async ({ page }) => {
      await logIn(page, "admin");
      for (const path of pages) {
        await page.goto(path);
        await page.getByRole("main").waitFor();
        await expect(page.getByText(/Loading/)).toHaveCount(0);
        const { violations } = await new AxeBuilder({ page }).analyze();
        expect(
          violations.map(
            (v) =>
              `${path} ${v.id}: ${v.help} ${v.nodes.map((n) => `${n.target.join(" ")} ${n.failureSummary}`).join(", ")}`,
          ),
        ).toEqual([]);
      }
    });

    test("a group, a new rollout with its preview and a halted rollout have no accessibility violations", async ({
      page,
    }) => {
      const suffix = uniqueSuffix();
      const { groupId } = await insertOfflineGroup(`e2e a11y ${suffix}`, [
        { hostname: `e2e-a11y-${suffix}-a`, simulated: true, labels: { rack: "a11y" } },
        { hostname: `e2e-a11y-${suffix}-b` },
        { hostname: `e2e-a11y-${suffix}-c` },
      ]);
      await logIn(page, "admin");
      const rolloutId = await startRolloutByApi(page, groupId, { settleSec: 0, canary: { count: 1 } });
      const checks: [string, () => Promise<void>][] = [
        ["/rollouts", () => expect(page.getByRole("link", { name: `e2e a11y ${suffix} rollout` })).toBeVisible()],
        ["/fleet", () => expect(page.getByRole("list", { name: `Labels of e2e-a11y-${suffix}-a` })).toBeVisible()],
        [`/groups/${groupId}`, () => expect(page.getByRole("heading", { name: "Label selector" })).toBeVisible()],
        [
          `/rollouts/new?groupId=${groupId}`,
          () => expect(page.getByRole("list", { name: "Batches" }).locator("> li")).toHaveCount(3),
        ],
        [`/rollouts/${rolloutId}`, () => expect(page.getByRole("status").filter({ hasText: "Halted" })).toBeVisible()],
      ];
      for (const [path, ready] of checks) {
        await page.goto(path);
        await ready();
        await expect(page.getByText(/Loading/)).toHaveCount(0);
        const { violations } = await new AxeBuilder({ page }).analyze();
        expect(violationList(path, violations)).toEqual([]);
      }
      // The window's fields appear once it is switched on; they are checked too.
      await page.goto(`/rollouts/new?groupId=${groupId}`);
      await page.getByLabel("Only start reboots inside a maintenance window").check();
      await page.getByLabel("Target image version").fill("e2e-2");
      await expect(page.getByLabel("Time zone")).not.toHaveValue("");
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violationList("/rollouts/new (window on)", violations)).toEqual([]);
    });
  });
}

test("the dashboard can be used with the keyboard alone", async ({ page }) => {
  await page.goto("/login");
  await page.keyboard.type("e2e-admin");
  await page.keyboard.press("Tab");
  await page.keyboard.type("e2e admin password");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Fleet", exact: true })).toBeVisible();
  // The first Tab reaches the skip link, which jumps past the navigation.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Fleet" })).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Groups", exact: true })).toBeVisible();
});
