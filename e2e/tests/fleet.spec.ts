import { expect, test } from "@playwright/test";
import { createPrismaClient } from "@softfleet/db";
import { insertOfflineGroup, removeInsertedFixtures, uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";

test.afterEach(removeInsertedFixtures);

test("the fleet page pages, filters and sorts on the server, keeps it all in the URL, and follows changes live", async ({
  page,
}) => {
  const suffix = uniqueSuffix();
  const host = (i: number) => `e2e-fleet-${suffix}-${String(i).padStart(2, "0")}`;
  const { nodeIds } = await insertOfflineGroup(
    `e2e fleet page ${suffix}`,
    Array.from({ length: 60 }, (_, i) => ({ hostname: host(i + 1), labels: { rack: i % 2 === 0 ? "a" : "b" } })),
  );
  const db = createPrismaClient(process.env.E2E_DATABASE_URL!);
  try {
    await logIn(page, "viewer");
    await page.goto(`/fleet?q=${suffix}`);
    const rows = page.getByRole("table", { name: "Nodes" }).locator("tbody tr");
    // Fifty rows of sixty, in hostname order.
    await expect(rows).toHaveCount(50);
    await expect(rows.first()).toContainText(host(1));
    await expect(page.getByText("Nodes 1–50 of 60 · page 1 of 2")).toBeVisible();
    await page.getByRole("button", { name: "Next" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(rows).toHaveCount(10);
    await expect(rows.first()).toContainText(host(51));

    // A sort by soft-reboots, then the other way: the header says which (for screen readers too).
    await db.node.update({ where: { id: nodeIds[6]! }, data: { softRebootsCount: 9 } });
    const sortByCount = page.getByRole("button", { name: "Soft-reboots" });
    await sortByCount.click();
    await expect(page).toHaveURL(/sort=softReboots/);
    await sortByCount.click();
    await expect(page).toHaveURL(/sort=softReboots&dir=desc/);
    await expect(page.getByRole("columnheader", { name: /Soft-reboots/ })).toHaveAttribute("aria-sort", "descending");
    await expect(rows.first()).toContainText(host(7));

    // A label filter, typed: the URL carries it, a reload shows the same view.
    await page.getByRole("searchbox", { name: "Label", exact: true }).fill("rack=b");
    await expect(page).toHaveURL(/label=rack%3Db/);
    await expect(page.getByText("Nodes 1–30 of 30")).toBeVisible();
    await page.reload();
    await expect(page.getByRole("searchbox", { name: "Label", exact: true })).toHaveValue("rack=b");
    await expect(page.getByText("Nodes 1–30 of 30")).toBeVisible();

    // Live: a node of this page goes rebooting; its row changes without a reload, and the
    // "Rebooting now" filter, used from the keyboard, shows it alone.
    await db.node.update({ where: { id: nodeIds[1]! }, data: { status: "rebooting" } });
    // As the gateway announces it (packages/fleet's notifyChange).
    const change = { entity: "node", id: nodeIds[1]!, what: "state", status: "rebooting" };
    await db.$executeRaw`SELECT pg_notify('softfleet_changes', ${JSON.stringify(change)})`;
    await expect(rows.filter({ hasText: host(2) })).toContainText("Rebooting");
    const chip = page.getByRole("button", { name: /^Rebooting now/ });
    await chip.focus();
    await page.keyboard.press("Enter");
    await expect(chip).toHaveAttribute("aria-pressed", "true");
    await expect(page).toHaveURL(/status=rebooting/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(host(2));

    // A link that asks for something the page cannot show opens anyway, and says what it left out.
    await page.goto(`/fleet?q=${suffix}&pageSize=13`);
    await expect(page.getByRole("alert").filter({ hasText: "The link asked for" })).toContainText("pageSize");
    await expect(rows).toHaveCount(50);
  } finally {
    await db.$disconnect();
  }
});
