import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { insertOfflineGroup, removeInsertedFixtures, uniqueSuffix } from "./fleet-fixtures";
import { logIn } from "./helpers";

test.afterEach(removeInsertedFixtures);

/** A FleetLock call as Zincati makes it, to the stack's control process on loopback. */
function fleetLockCall(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(path, process.env.E2E_CONTROL_URL!);
  const ca = process.env.E2E_CONTROL_CA ? readFileSync(process.env.E2E_CONTROL_CA) : undefined;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        ca,
        headers: {
          "fleet-lock-protocol": "true",
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

test("an operator turns on FleetLock for a group, and a node that takes a slot shows as its holder", async ({
  page,
}) => {
  const suffix = uniqueSuffix();
  const hostname = `fcos-${suffix}`;
  const lockGroup = `e2e-${suffix}`;
  const { groupId, nodeIds } = await insertOfflineGroup(`e2e fleetlock ${suffix}`, [{ hostname }]);

  await logIn(page, "admin");
  await page.goto(`/groups/${groupId}`);
  const panel = page.getByRole("region", { name: "FleetLock (Zincati)" });
  await expect(panel).toContainText("FleetLock is off for this group");
  await panel.getByLabel("Lock group").fill(lockGroup);
  await panel.getByLabel("Max unavailable").fill("1");
  await panel.getByRole("button", { name: "Enable FleetLock" }).click();

  await expect(panel.getByRole("heading", { name: "FleetLock base URL: copy it now" })).toBeVisible();
  const baseUrl = await panel.getByRole("textbox", { name: "Base URL" }).inputValue();
  expect(baseUrl).toMatch(/^https?:\/\/<control host>:3001\/fleetlock\/[A-Za-z0-9_-]{43}\/$/);
  await expect(panel).toContainText('strategy = "fleet_lock"');
  const basePath = new URL(baseUrl.replace("<control host>", "control")).pathname;
  await panel.getByRole("button", { name: "I have copied it" }).click();
  await expect(panel.getByRole("heading", { name: "FleetLock base URL: copy it now" })).toHaveCount(0);

  // Zincati on that node asks for a slot: granted, and the next client finds the semaphore full.
  const params = (id: string) => ({ client_params: { group: lockGroup, id } });
  expect(await fleetLockCall(`${basePath}v1/pre-reboot`, params(hostname))).toMatchObject({ status: 200 });
  const full = await fleetLockCall(`${basePath}v1/pre-reboot`, params("another-node"));
  expect(full.status).toBe(409);
  expect(JSON.parse(full.text)).toMatchObject({ kind: "failed_lock_semaphore_full" });

  const holders = panel.getByRole("table", { name: "FleetLock holders" });
  await expect(holders.getByRole("row")).toHaveCount(2);
  await expect(holders.getByRole("row").nth(1)).toContainText(hostname);
  await expect(panel).toContainText("1 of 1");
  // The panel with its holders and the shown-once secret gone meets the same accessibility bar as the rest.
  const { violations } = await new AxeBuilder({ page }).include("#fleetlock").analyze();
  expect(violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await holders.getByRole("link", { name: hostname }).click();
  await expect(page).toHaveURL(new RegExp(`/nodes/${nodeIds[0]}$`));
  await expect(page.getByRole("region", { name: "FleetLock" })).toContainText(
    `Holds a FleetLock slot of group e2e fleetlock ${suffix}`,
  );

  // Healthy again: steady-state gives the slot back, and the group's page shows when it was held.
  expect(await fleetLockCall(`${basePath}v1/steady-state`, params(hostname))).toMatchObject({ status: 200 });
  await page.goto(`/groups/${groupId}`);
  await expect(panel).toContainText("No node holds a FleetLock slot now.");
  const recent = panel.getByRole("table", { name: "Recent FleetLock slots" });
  await expect(recent.getByRole("row").nth(1)).toContainText(hostname);
  await expect(recent.getByRole("row").nth(1)).toContainText("the client (steady-state)");

  // A client that never gives its slot back (its node died mid-update): an operator releases it here.
  expect(await fleetLockCall(`${basePath}v1/pre-reboot`, params("gone-for-good"))).toMatchObject({ status: 200 });
  await page.reload();
  await expect(holders.getByRole("row").nth(1)).toContainText("gone-for-good");
  await holders.getByRole("button", { name: "Release" }).click();
  const dialog = page.getByRole("dialog", { name: "Release the slot of gone-for-good?" });
  await dialog.getByRole("button", { name: "Release" }).click();
  await expect(panel).toContainText("No node holds a FleetLock slot now.");
  await expect(recent.getByRole("row").nth(1)).toContainText("an operator");
  // The slot is free again for the group's next client.
  expect(await fleetLockCall(`${basePath}v1/pre-reboot`, params("another-node"))).toMatchObject({ status: 200 });
});
