import type { AddressInfo } from "node:net";
import { createTestDatabase, type TestDatabase } from "@softfleet/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "./env";
import { createControlServer } from "./server";

let t: TestDatabase;
let url: string;
let close: () => void;

beforeAll(async () => {
  t = await createTestDatabase();
  const server = createControlServer(t.db);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(async () => {
  close();
  await t.drop();
});

describe("control plane HTTP", () => {
  it("/healthz reports a reachable database", async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
  });

  it("answers unknown paths with 404 and says which", async () => {
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "no route for GET /nope" });
  });
});

describe("control plane configuration", () => {
  it("names every bad variable", () => {
    expect(() => loadEnv({ CONTROL_PORT: "99999" })).toThrow(
      /DATABASE_URL: is required[\s\S]*CONTROL_PORT: must be a port \(1-65535\)/,
    );
    expect(() => loadEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });

  it("defaults the port and host", () => {
    expect(loadEnv({ DATABASE_URL: "postgres://u@h/db" })).toMatchObject({
      CONTROL_PORT: 3001,
      CONTROL_HOST: ["127.0.0.1"],
    });
  });

  it("takes several listen addresses, and names a bad one", () => {
    expect(loadEnv({ DATABASE_URL: "postgres://u@h/db", CONTROL_HOST: "127.0.0.1, 10.213.0.1" }).CONTROL_HOST).toEqual([
      "127.0.0.1",
      "10.213.0.1",
    ]);
    expect(() => loadEnv({ DATABASE_URL: "postgres://u@h/db", CONTROL_HOST: "127.0.0.1;rm" })).toThrow(
      /CONTROL_HOST: must be host names or addresses separated by commas/,
    );
  });

  it("takes the dashboard's public address and the webhook timeout, and names bad ones", () => {
    const base = { DATABASE_URL: "postgres://u@h/db" };
    expect(loadEnv({ ...base, SOFTFLEET_PUBLIC_URL: "" })).toMatchObject({ SOFTFLEET_WEBHOOK_TIMEOUT_SEC: 10 });
    expect(loadEnv({ ...base, SOFTFLEET_PUBLIC_URL: "https://sf.example.com/ops" }).SOFTFLEET_PUBLIC_URL).toBe(
      "https://sf.example.com/ops",
    );
    expect(() => loadEnv({ ...base, SOFTFLEET_PUBLIC_URL: "sf.example.com" })).toThrow(
      /SOFTFLEET_PUBLIC_URL: must be an http:\/\/ or https:\/\/ address/,
    );
    expect(() => loadEnv({ ...base, SOFTFLEET_WEBHOOK_TIMEOUT_SEC: "600" })).toThrow(
      /SOFTFLEET_WEBHOOK_TIMEOUT_SEC: must be at most 60 seconds/,
    );
  });
});
