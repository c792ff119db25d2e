import { describe, expect, it } from "vitest";
import { formatDatabaseUrl, parseDatabaseUrl, redact } from "./config";

describe("DATABASE_URL", () => {
  it("is split into the discrete fields the pg adapter needs", () => {
    expect(parseDatabaseUrl("postgresql://ops:s%40cret@db.internal:6543/softfleet")).toEqual({
      host: "db.internal",
      port: 6543,
      user: "ops",
      password: "s@cret",
      database: "softfleet",
    });
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
