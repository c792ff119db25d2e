import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { labels, unitName } from "@softfleet/protocol";
import * as z from "@softfleet/protocol/zod";

export const DEFAULT_CONFIG_PATH = "/etc/softfleet/agent.json";

const absolutePath = z.string().check(z.refine(isAbsolute, "must be an absolute path"));

const httpUrl = z
  .string({ error: (issue) => (issue.input === undefined ? "is required (or set SOFTFLEET_CONTROL_URL)" : undefined) })
  .check(
    z.refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.search === "";
      } catch {
        return false;
      }
    }, "must be an http(s) URL of the control plane without credentials or query, e.g. http://127.0.0.1:3001"),
  );

export const agentConfigSchema = z.strictObject({
  controlUrl: httpUrl,
  /** Needed only until the node is enrolled (stateDir/credential.json exists). */
  enrollmentToken: z.optional(z.string().check(z.minLength(10, "must be at least 10 characters"), z.maxLength(200))),
  watchUnits: z._default(z.array(unitName).check(z.maxLength(200)), []),
  labels: z._default(labels, {}),
  stateDir: z._default(absolutePath, "/var/lib/softfleet-agent"),
  runtimeDir: z._default(absolutePath, "/run/softfleet-agent"),
  /**
   * How long the shutdown signal may wait for the server's ack. logind waits
   * at most InhibitDelayMaxSec= (5 s by default) for all delay locks together,
   * so this stays well below it.
   */
  ackTimeoutMs: z._default(
    z.number().check(z.int(), z.minimum(50), z.maximum(3000, "must be at most 3000: logind waits at most 5 s")),
    1000,
  ),
  heartbeatSec: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(3600)), 10),
  /** Podman's REST API socket (podman.socket): the containers are listed from it; none there: no containers reported. */
  podmanSocket: z._default(absolutePath, "/run/podman/podman.sock"),
  /** Where the client-visible prober (a surviving unit) keeps the gaps it saw; none there: no client gaps reported. */
  proberStateFile: z._default(absolutePath, "/run/softfleet-prober/gaps.json"),
  /** How often the units are listed again for payloads started since (survivors, fd stores). */
  payloadDiscoverySec: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(3600)), 30),
  /** While an old root is held after a soft-reboot, how often /proc is scanned again (the warning ends when it is let go). */
  pinnedRootScanSec: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(3600)), 60),
  /**
   * "system" (honours DBUS_SYSTEM_BUS_ADDRESS) or an address such as
   * unix:path=/run/x. Abstract sockets would need the native usocket addon.
   */
  /** PEM file of the CA (or self-signed certificate) control's https certificate is checked against. */
  caFile: z.optional(absolutePath),
  /** Control's certificate SHA-256 fingerprint (Settings shows it): accept that certificate and no other. */
  pinnedFingerprint: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/,
          "must be a SHA-256 fingerprint: 64 hex digits, colons optional",
        ),
      ),
  ),
  /** Allow http:// to a control plane that is not on loopback: tokens, credentials and commands in clear. */
  allowInsecure: z._default(z.boolean(), false),
  /** At most `count` reboot commands accepted in any `perSeconds`, whoever sends them; null: no limit. */
  rebootCommandLimit: z._default(
    z.nullable(
      z.strictObject({
        count: z.number().check(z.int(), z.minimum(1), z.maximum(1000)),
        perSeconds: z.number().check(z.int(), z.minimum(60, "must be at least 60 seconds"), z.maximum(30 * 86_400)),
      }),
    ),
    null,
  ),
  /**
   * The built-in image stager (stage commands): where images are unpacked, and
   * the machine's own files a downloaded image lacks (copied into it).
   */
  staging: z.prefault(
    z.strictObject({
      imagesDir: z._default(absolutePath, "/var/lib/softfleet/images"),
      keepPaths: z._default(z.array(absolutePath).check(z.maxLength(200)), [
        "/etc/machine-id",
        "/etc/hostname",
        "/etc/softfleet",
      ]),
      /** Longest a stage command may take before it is reported failed. */
      timeoutSec: z._default(z.number().check(z.int(), z.minimum(10), z.maximum(86_400)), 3600),
      /**
       * How the image gets to /run/nextroot: "image" (built in: download, check, unpack, mount),
       * an operator's own command (bootc switch --apply, ostree admin prepare-soft-reboot, a
       * systemd-sysupdate script...), run with SOFTFLEET_IMAGE_VERSION, _URL and _SHA256 in its
       * environment, or "bootc" (bootc upgrade, checked soft-reboot capable with bootc status).
       * Whichever: afterwards /run/nextroot must be a mount point whose os-release carries the version.
       */
      stager: z._default(
        z.union([
          z.literal("image"),
          z.literal("bootc"),
          z.strictObject({
            command: z
              .array(z.string().check(z.minLength(1), z.maxLength(4096)))
              .check(z.minLength(1, "must name a program"), z.maxLength(64)),
            timeoutSec: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(86_400)), 1800),
          }),
        ]),
        "image",
      ),
    }),
    {},
  ),
  bus: z._default(
    z
      .string()
      .check(
        z.refine(
          (value) => value === "system" || value.startsWith("unix:path="),
          'must be "system" or a unix:path= address',
        ),
      ),
    "system",
  ),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid agent configuration (${source}): ${issues.join("; ")}`);
    this.name = "ConfigError";
  }
}

export interface ConfigSources {
  argv: string[];
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

/** The config path: --config PATH or --config=PATH, else SOFTFLEET_AGENT_CONFIG, else the default. */
export function configPath(argv: string[], env: Record<string, string | undefined>): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--config") {
      const value = argv[i + 1];
      if (!value || value.startsWith("--")) throw new ConfigError("command line", ["--config: needs a file path"]);
      return value;
    }
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
  }
  return env.SOFTFLEET_AGENT_CONFIG || DEFAULT_CONFIG_PATH;
}

/**
 * Reads the JSON file, applies the environment overrides and validates the
 * result. A missing file is an error only when it was named explicitly: the
 * environment alone may configure an agent.
 */
export function loadConfig({ argv, env, readFile = (p) => readFileSync(p, "utf8") }: ConfigSources): AgentConfig {
  const path = configPath(argv, env);
  const explicit = path !== DEFAULT_CONFIG_PATH;
  let fromFile: unknown = {};
  let text: string | undefined;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" || explicit) {
      throw new ConfigError(path, [`cannot read the file: ${code ?? (error as Error).message}`]);
    }
  }
  if (text !== undefined) {
    try {
      fromFile = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
    }
    if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError(path, ["must be a JSON object"]);
    }
  }
  const merged: Record<string, unknown> = { ...(fromFile as Record<string, unknown>) };
  if (env.SOFTFLEET_CONTROL_URL) merged.controlUrl = env.SOFTFLEET_CONTROL_URL;
  if (env.SOFTFLEET_ENROLLMENT_TOKEN) merged.enrollmentToken = env.SOFTFLEET_ENROLLMENT_TOKEN;

  const result = agentConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  const source = text === undefined ? "environment" : path;
  // Each issue names its field; values are never echoed (the token is a secret).
  const issues = result.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join(".") : "(config)";
    if (issue.code === "unrecognized_keys") return `${issue.keys.join(", ")}: unknown field`;
    return `${field}: ${issue.message}`;
  });
  throw new ConfigError(source, issues);
}
