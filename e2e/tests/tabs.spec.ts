import { expect, type Page, test } from "@playwright/test";
import { logIn } from "./helpers";

/** What the browser does when its tab goes to the background (a headless page is never hidden on its own). */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (h ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);

test("with many tabs of the dashboard open, the one in front is live (hidden tabs give back their stream)", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  await logIn(page, "admin");
  const live = (p: Page) => p.getByRole("status").filter({ hasText: /^(Live|Connecting…|Reconnecting…|Paused)$/ });
  await expect(live(page)).toHaveText("Live");
  // Six more tabs on live pages, each put in the background once it is live, as a person opening tab after tab.
  const tabs = [page];
  for (const path of [
    "/fleet?page=2",
    "/rollouts",
    "/fleet?sort=status",
    "/fleet?status=online",
    "/rollouts",
    "/fleet",
  ]) {
    await setHidden(tabs.at(-1)!, true);
    const tab = await context.newPage();
    await tab.goto(path);
    await expect(live(tab)).toHaveText("Live", { timeout: 30_000 });
    tabs.push(tab);
  }
  // The tabs behind have given their streams back.
  await expect(live(tabs[1]!)).toHaveText("Paused");
  // A tab brought back to the front catches up and is live again.
  await setHidden(tabs.at(-1)!, true);
  await setHidden(tabs[0]!, false);
  await expect(live(tabs[0]!)).toHaveText("Live", { timeout: 30_000 });
});
