import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { logIn } from "./helpers";

/** What the receiver got: the headers softfleet signs with, and the raw body. */
interface Received {
  event: string;
  delivery: string;
  signature: string;
  body: string;
}

let server: Server;
let receiverUrl: string;
const received: Received[] = [];

test.beforeAll(async () => {
  // A real receiver on loopback, as a customer would run one.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        event: String(req.headers["softfleet-event"]),
        delivery: String(req.headers["softfleet-delivery"]),
        signature: String(req.headers["softfleet-signature"]),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/softfleet`;
});
test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The README's check: HMAC-SHA256 of "<t>.<body>" with the secret, compared in constant time. */
function verified(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=") as [string, string]));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test("an admin adds a webhook in Settings, sends a test and sees it delivered in the log", async ({ page }) => {
  const name = `e2e receiver ${Date.now().toString(36)}`;
  await logIn(page, "admin");
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Add webhook" });
  await expect(form).toBeVisible();

  // Bad input: each field says what is wrong, and nothing is added.
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("URL").fill("ftp://files.example.com/hook");
  await form.getByRole("button", { name: "Add webhook" }).click();
  await expect(form.getByText("must start with http:// or https://")).toBeVisible();
  await expect(form.getByText("choose at least one event")).toBeVisible();
  await expect(page.getByRole("article", { name: `Webhook ${name}` })).toHaveCount(0);

  await form.getByLabel("URL").fill(receiverUrl);
  await form.getByLabel(/^rollout\.halted/).check();
  await form.getByLabel(/^node\.offline/).check();
  await form.getByRole("button", { name: "Add webhook" }).click();
  const secret = await page.getByRole("textbox", { name: "Signing secret" }).inputValue();
  expect(secret).toMatch(/^whsec_/);
  await page.getByRole("button", { name: "Done, I have copied it" }).click();
  await expect(page.getByRole("textbox", { name: "Signing secret" })).toHaveCount(0);

  const endpoint = page.getByRole("article", { name: `Webhook ${name}` });
  await expect(endpoint).toContainText("rollout.halted, node.offline");
  await expect(endpoint).toContainText("No deliveries yet.");
  await endpoint.getByRole("button", { name: "Send test" }).click();
  const row = endpoint.getByRole("row").filter({ hasText: "webhook.test" });
  await expect(row).toContainText("succeeded");
  await expect(row).toContainText("200");

  const test = received.find((r) => r.event === "webhook.test" && JSON.parse(r.body).summary.includes(name));
  expect(test, "the receiver got the test event").toBeDefined();
  expect(verified(secret, test!.signature, test!.body)).toBe(true);
  expect(JSON.parse(test!.body)).toMatchObject({ version: 1, type: "webhook.test", data: { endpoint: { name } } });
  // The log's number is the delivery id receivers dedupe on.
  await expect(row.getByRole("cell").first()).toHaveText(test!.delivery);

  // Redeliver: the same event again, as a new delivery.
  await row.getByRole("button", { name: "Redeliver" }).click();
  await expect(
    endpoint.getByRole("row").filter({ hasText: "webhook.test" }).filter({ hasText: "succeeded" }),
  ).toHaveCount(2);
  const again = received.filter((r) => r.event === "webhook.test" && JSON.parse(r.body).summary.includes(name));
  expect(again).toHaveLength(2);
  expect(JSON.parse(again[1]!.body).id).toBe(JSON.parse(again[0]!.body).id);

  // The events it gets change; a new secret signs from then on.
  await endpoint.getByText("Change events").click();
  const events = endpoint.getByRole("form", { name: `Events of webhook ${name}` });
  await events.getByLabel(/^node\.offline/).uncheck();
  await events.getByLabel(/^rollout\.finished/).check();
  await events.getByRole("button", { name: "Save events" }).click();
  await expect(endpoint).toContainText("rollout.halted, rollout.finished");
  await endpoint.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
  const rotated = await endpoint.getByRole("textbox", { name: "Signing secret" }).inputValue();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await endpoint.getByRole("button", { name: "Done, I have copied it" }).click();
  await endpoint.getByRole("button", { name: "Send test" }).click();
  await expect(endpoint.getByRole("row").filter({ hasText: "webhook.test" })).toHaveCount(3);
  await expect.poll(() => received.filter((r) => JSON.parse(r.body).summary?.includes(name)).length).toBe(3);
  const signedAfter = received.filter(
    (r) => r.event === "webhook.test" && JSON.parse(r.body).summary.includes(name),
  )[2]!;
  expect(verified(rotated, signedAfter.signature, signedAfter.body)).toBe(true);
  expect(verified(secret, signedAfter.signature, signedAfter.body)).toBe(false);

  await endpoint.getByRole("button", { name: "Disable" }).click();
  await expect(endpoint).toContainText("(disabled)");
  await expect(endpoint.getByRole("button", { name: "Send test" })).toBeDisabled();

  await endpoint.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("article", { name: `Webhook ${name}` })).toHaveCount(0);
});
