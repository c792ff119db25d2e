import { describe, expect, it } from "vitest";
import { ConfigError, configPath, DEFAULT_CONFIG_PATH, loadConfig } from "./config";

const files = (content: Record<string, string>) => (path: string) => {
  if (path in content) return content[path]!;
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills the defaults around the one required field", () => {
    const config = loadConfig({
      argv: [],
      env: {},
      readFile: files({ [DEFAULT_CONFIG_PATH]: '{"controlUrl":"http://127.0.0.1:3001"}' }),
    });
    expect(config).toEqual({
      controlUrl: "http://127.0.0.1:3001",
      watchUnits: [],
      labels: {},
      stateDir: "/var/lib/softfleet-agent",
      runtimeDir: "/run/softfleet-agent",
      ackTimeoutMs: 1000,
      heartbeatSec: 10,
      payloadDiscoverySec: 30,
      proberStateFile: "/run/softfleet-prober/gaps.json",
      podmanSocket: "/run/podman/podman.sock",
      pinnedRootScanSec: 60,
      allowInsecure: false,
      rebootCommandLimit: null,
      staging: {
        imagesDir: "/var/lib/softfleet/images",
        keepPaths: ["/etc/machine-id", "/etc/hostname", "/etc/softfleet"],
        timeoutSec: 3600,
        stager: "image",
      },
      bus: "system",
    });
  });

  it("takes the path from --config, then SOFTFLEET_AGENT_CONFIG", () => {
    expect(configPath(["--config", "/a.json"], { SOFTFLEET_AGENT_CONFIG: "/b.json" })).toBe("/a.json");
    expect(configPath(["--config=/c.json"], {})).toBe("/c.json");
    expect(configPath([], { SOFTFLEET_AGENT_CONFIG: "/b.json" })).toBe("/b.json");
    expect(configPath([], {})).toBe(DEFAULT_CONFIG_PATH);
    expect(configError(() => configPath(["--config"], {})).issues).toEqual(["--config: needs a file path"]);
  });

  it("lets the environment override the file", () => {
    const config = loadConfig({
      argv: ["--config", "/x.json"],
      env: { SOFTFLEET_CONTROL_URL: "https://control.example:8443", SOFTFLEET_ENROLLMENT_TOKEN: "tok-0123456789" },
      readFile: files({ "/x.json": '{"controlUrl":"http://old:1","watchUnits":["web.service"]}' }),
    });
    expect(config.controlUrl).toBe("https://control.example:8443");
    expect(config.enrollmentToken).toBe("tok-0123456789");
    expect(config.watchUnits).toEqual(["web.service"]);
  });

  it("works from the environment alone when the default file is missing", () => {
    const config = loadConfig({ argv: [], env: { SOFTFLEET_CONTROL_URL: "http://h:1" }, readFile: files({}) });
    expect(config.controlUrl).toBe("http://h:1");
  });

  it("names every bad field, without echoing values", () => {
    const error = configError(() =>
      loadConfig({
        argv: ["--config", "/x.json"],
        env: {},
        readFile: files({
          "/x.json": JSON.stringify({
            controlUrl: "ftp://user:secret@host",
            enrollmentToken: "short",
            watchUnits: ["ok.service", "x"],
            stateDir: "relative/dir",
            ackTimeoutMs: 5000,
            bus: "tcp:host=x",
            colour: "blue",
          }),
        }),
      }),
    );
    expect(error.source).toBe("/x.json");
    const fields = error.issues.map((issue) => issue.split(":")[0]);
    expect(fields.sort()).toEqual(
      ["ackTimeoutMs", "bus", "colour", "controlUrl", "enrollmentToken", "stateDir", "watchUnits.1"].sort(),
    );
    expect(error.message).toContain("ackTimeoutMs: must be at most 3000");
    expect(error.message).toContain("colour: unknown field");
    expect(error.message).not.toContain("secret");
  });

  it("says a missing controlUrl is required", () => {
    const error = configError(() => loadConfig({ argv: [], env: {}, readFile: files({}) }));
    expect(error.issues).toEqual(["controlUrl: is required (or set SOFTFLEET_CONTROL_URL)"]);
  });

  it("reports an unreadable or malformed file by path", () => {
    expect(configError(() => loadConfig({ argv: ["--config=/gone.json"], env: {}, readFile: files({}) })).message).toBe(
      "invalid agent configuration (/gone.json): cannot read the file: ENOENT",
    );
    const malformed = configError(() =>
      loadConfig({ argv: ["--config=/m.json"], env: {}, readFile: files({ "/m.json": "{nope" }) }),
    );
    expect(malformed.issues[0]).toMatch(/^not valid JSON/);
    const array = configError(() =>
      loadConfig({ argv: ["--config=/a.json"], env: {}, readFile: files({ "/a.json": "[]" }) }),
    );
    expect(array.issues).toEqual(["must be a JSON object"]);
  });
});
