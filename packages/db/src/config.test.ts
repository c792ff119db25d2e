import { describe, expect, it } from "vitest";
import { formatDatabaseUrl, parseDatabaseUrl, redact } from "./config";

describe("DATABASE_URL", () => {
  it("is split into the discrete fields the pg adapter needs", () => {
    expect(parseDatabaseUrl("postgresql://ops:s%40cret@db.internal:6543/softfleet?sslmode=require")).toEqual({
      host: "db.internal",
      port: 6543,
      user: "ops",
      password: "s@cret",
      database: "softfleet",
      sslmode: "require",
      ssl: { rejectUnauthorized: false },
      connectionTimeoutMillis: 10_000,
      statement_timeout: 120_000,
    });
  });

  it("honours sslmode and sslrootcert as libpq does, and keeps them when formatted again", () => {
    const ca = new URL(import.meta.url).pathname; // any readable file stands in for a CA here
    expect(parseDatabaseUrl("postgresql://u@db.example/x").ssl).toBeUndefined();
    expect(parseDatabaseUrl("postgresql://u@db.example/x?sslmode=disable").ssl).toBeUndefined();
    const full = parseDatabaseUrl(`postgresql://u@db.example/x?sslmode=verify-full&sslrootcert=${ca}`);
    expect(full.ssl).toMatchObject({ rejectUnauthorized: true });
    expect((full.ssl as { ca: Buffer }).ca).toBeInstanceOf(Buffer);
    expect((full.ssl as { checkServerIdentity?: unknown }).checkServerIdentity).toBeUndefined();
    const verifyCa = parseDatabaseUrl(`postgresql://u@db.example/x?sslmode=verify-ca&sslrootcert=${ca}`);
    expect((verifyCa.ssl as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
    // A root certificate alone means verify-full, as in libpq.
    expect(parseDatabaseUrl(`postgresql://u@db.example/x?sslrootcert=${ca}`).ssl).toMatchObject({
      rejectUnauthorized: true,
    });
    expect(formatDatabaseUrl(full)).toBe(
      `postgresql://u@db.example:5432/x?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`,
    );
    expect(() => parseDatabaseUrl("postgresql://u@h/x?sslmode=maybe")).toThrow(/sslmode=maybe: use one of/);
    expect(() => parseDatabaseUrl("postgresql://u@h/x?sslmode=verify-full&sslrootcert=/nope.pem")).toThrow(
      /sslrootcert=\/nope.pem: cannot read it/,
    );
  });

  it("bounds connecting and every statement", () => {
    const c = parseDatabaseUrl("postgresql://u@127.0.0.1/x");
    expect(c.connectionTimeoutMillis).toBe(10_000);
    expect(c.statement_timeout).toBe(120_000);
  });

  it("round-trips through formatDatabaseUrl", () => {
    const url = "postgresql://ops:p%2Fw@127.0.0.1:5432/soft%20fleet";
    expect(formatDatabaseUrl(parseDatabaseUrl(url))).toBe(url);
  });

  it("explains what is wrong with a bad URL, without printing the password", () => {
    expect(() => parseDatabaseUrl("localhost:5432")).toThrow(/must start with postgres:\/\//);
    expect(() => parseDatabaseUrl("postgres://u:hunter2@host:5432")).toThrow(/names no database/);
    expect(() => parseDatabaseUrl("not a url :: hunter2")).toThrow(/is not a URL/);
    expect(redact("postgres://u:hunter2@host/db")).toBe("postgres://u:***@host/db");
  });
});
