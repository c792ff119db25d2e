import { request as httpRequest } from "node:http";
import { connect as tlsConnect } from "node:tls";
import { expect, test } from "@playwright/test";
import { logIn } from "./helpers";

/** The running web server, over raw HTTP: what a hostile client (not the browser) can send. */
function raw(path: string, init: { method: string; headers?: Record<string, string>; body?: Buffer | string }) {
  const url = new URL(path, process.env.E2E_BASE_URL);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

test("pages carry a nonce-based CSP and security headers, and still work under them", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto("/login");
  const headers = response?.headers() ?? {};
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  // Plain http here: no HSTS.
  expect(headers["strict-transport-security"]).toBeUndefined();
  // Each load gets its own nonce.
  const again = await page.request.get("/login");
  expect(again.headers()["content-security-policy"]).not.toBe(headers["content-security-policy"]);
  // The app hydrates and works: logging in is client-side JavaScript.
  await logIn(page, "viewer");
  expect(violations).toEqual([]);
});

test("a change from another site, or not as JSON, is refused; the session survives", async ({ page }) => {
  await logIn(page, "viewer");
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const foreign = await raw("/api/trpc/auth.logout", {
    method: "POST",
    headers: { cookie, origin: "https://evil.example", "content-type": "application/json" },
    body: "{}",
  });
  expect(foreign.status).toBe(403);
  const multipart = await raw("/api/trpc/auth.logout", {
    method: "POST",
    headers: { cookie, "content-type": "multipart/form-data; boundary=x" },
    body: "--x--\r\n",
  });
  expect(multipart.status).toBe(415);
  // Still signed in.
  await page.goto("/fleet");
  await expect(page.getByRole("heading", { name: "Fleet", exact: true })).toBeVisible();
});

test("a body over 1 MiB is refused with 413, chunked or not, and the server keeps serving", async ({ page }) => {
  const big = Buffer.alloc(2 * 1024 * 1024, 97);
  const declared = await raw("/api/trpc/auth.login", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(big.length) },
    body: big,
  }).catch(() => ({ status: 413, body: "connection closed after the answer" }));
  expect(declared.status).toBe(413);
  const chunked = await raw("/api/trpc/auth.login", {
    method: "POST",
    headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    body: big,
  }).catch(() => ({ status: 413, body: "connection closed after the answer" }));
  expect(chunked.status).toBe(413);
  await logIn(page, "viewer");
});

test("Settings shows the certificate control presents, for agents to pin", async ({ page }) => {
  test.skip(!process.env.E2E_CONTROL_CA, "control runs plain HTTP here (no lab: no lab CA)");
  const control = new URL(process.env.E2E_CONTROL_URL!);
  const presented = await new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: control.hostname, port: Number(control.port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
  await logIn(page, "admin");
  await page.goto("/settings");
  await expect(page.getByTestId("control-fingerprint").first()).toHaveText(presented);
});
