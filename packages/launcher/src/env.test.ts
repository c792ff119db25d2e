import { describe, expect, it } from "vitest";
import { loadStackEnv } from "./env";

describe("npm start's configuration", () => {
  it("names every bad variable and says what it must be", () => {
    expect(() => loadStackEnv({ PORT: "abc", CONTROL_PORT: "70000", DATABASE_URL: "mysql://x" })).toThrow(
      [
        "invalid configuration:",
        "  DATABASE_URL: must be a postgres:// URL (leave it unset for the embedded database)",
        "  PORT: must be a port number (1-65535)",
        "  CONTROL_PORT: must be a port number (1-65535)",
      ].join("\n"),
    );
  });

  it("uses the embedded database and the usual ports by default, ignoring empty values", () => {
    const env = loadStackEnv({ DATABASE_URL: "" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env).toMatchObject({
      PORT: 3000,
      CONTROL_PORT: 3001,
      SOFTFLEET_PG_PORT: 54329,
      HOST: "127.0.0.1",
    });
  });

  it("refuses an owner URL for migrations without the apps' DATABASE_URL", () => {
    expect(() => loadStackEnv({ MIGRATION_DATABASE_URL: "postgres://owner@db/softfleet" })).toThrow(
      "MIGRATION_DATABASE_URL: needs DATABASE_URL too",
    );
    expect(
      loadStackEnv({ MIGRATION_DATABASE_URL: "postgres://owner@db/sf", DATABASE_URL: "postgres://app@db/sf" }),
    ).toMatchObject({ MIGRATION_DATABASE_URL: "postgres://owner@db/sf", DATABASE_URL: "postgres://app@db/sf" });
  });
});
