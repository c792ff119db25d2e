import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { logIn } from "./helpers";

const pages = ["/fleet", "/groups", "/rollouts", "/reports", "/audit", "/settings"];

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
