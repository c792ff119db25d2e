import { isIP } from "node:net";
import { isAbsolute } from "node:path";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z
    .string({ error: "is required (npm start provides it; or point it at your PostgreSQL server)" })
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  /** Where control listens: one address, or several separated by commas (e.g. loopback and the lab's network). */
  CONTROL_HOST: z
    .string()
    .default("127.0.0.1")
    .transform((value) => value.split(",").map((host) => host.trim()))
    .pipe(
      z
        .array(z.string().regex(/^[A-Za-z0-9.:-]+$/, "must be host names or addresses separated by commas"))
        .min(1)
        .max(8, "takes at most 8 addresses"),
    ),
  CONTROL_PORT: z.coerce
    .number()
    .int("must be a whole number")
    .min(1)
    .max(65535, "must be a port (1-65535)")
    .default(3001),
  /** PEM files of control's TLS certificate and key: with both, control serves https/wss (reloaded on SIGHUP). */
  CONTROL_TLS_CERT: z.string().min(1).optional(),
  CONTROL_TLS_KEY: z.string().min(1).optional(),
  /** A directory of OS images (tar files and their .sha256) that enrolled agents download at /images/<name>. */
  SOFTFLEET_IMAGES_DIR: z.string().refine(isAbsolute, "must be an absolute path").optional(),
  /**
   * How many control processes share the address (node:cluster): agents are spread over them, and
   * one that dies is started again while its agents reconnect to the others. 1: this process alone.
   */
  CONTROL_PROCESSES: z.coerce
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(32, "must be at most 32")
    .default(1),
  /**
   * Days of agent events and reboot records kept: whole months older than this are dropped
   * (hourly). Unset: kept for ever. Reports reach a year back, so less than 366 days shortens them.
   */
  SOFTFLEET_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days" })
    .int("must be a whole number of days")
    .min(7, "must be at least 7 days")
    .max(36_500, "must be at most 36500 days")
    .optional(),
  /** The bearer token Prometheus sends to scrape /metrics (16 characters or more; empty: unset, as compose passes it). */
  SOFTFLEET_METRICS_TOKEN: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .min(16, "must be at least 16 characters")
      .max(200, "must be at most 200 characters")
      .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
      .optional(),
  ),
  /** "1": /metrics without a token, allowed only when every CONTROL_HOST is a loopback or private address. */
  SOFTFLEET_METRICS_OPEN: z.enum(["0", "1"], { error: 'must be "0" or "1"' }).default("0"),
  /** The dashboard's address as people reach it (e.g. https://softfleet.example.com): webhook payloads link to its pages. */
  SOFTFLEET_PUBLIC_URL: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .max(500, "must be at most 500 characters")
      .regex(
        /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
        "must be an http:// or https:// address such as https://softfleet.example.com",
      )
      .optional(),
  ),
  /** Seconds a webhook receiver has to answer each attempt (then: "no answer within N s", retried later). */
  SOFTFLEET_WEBHOOK_TIMEOUT_SEC: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be whole seconds")
    .min(1, "must be at least 1 second")
    .max(60, "must be at most 60 seconds")
    .default(10),
  /** "1": log each rollout engine step that acted, with its duration (for the benchmark and debugging). */
  SOFTFLEET_ENGINE_TIMINGS: z.enum(["0", "1"], { error: 'must be "0" or "1"' }).default("0"),
});

export type ControlEnv = z.infer<typeof schema>;

const checked = schema
  .refine((env) => !env.CONTROL_TLS_CERT === !env.CONTROL_TLS_KEY, {
    message: "set both CONTROL_TLS_CERT and CONTROL_TLS_KEY, or neither",
    path: ["CONTROL_TLS_CERT"],
  })
  .refine((env) => !(env.SOFTFLEET_METRICS_OPEN === "1" && env.SOFTFLEET_METRICS_TOKEN), {
    message: "set SOFTFLEET_METRICS_TOKEN or SOFTFLEET_METRICS_OPEN=1, not both",
    path: ["SOFTFLEET_METRICS_OPEN"],
  })
  .refine((env) => env.SOFTFLEET_METRICS_OPEN !== "1" || env.CONTROL_HOST.every(isPrivateAddress), {
    message:
      "opens /metrics to anyone who reaches control: only when every CONTROL_HOST is a loopback or private address (10/8, 172.16/12, 192.168/16, fc00::/7); otherwise set SOFTFLEET_METRICS_TOKEN",
    path: ["SOFTFLEET_METRICS_OPEN"],
  });

/** A loopback or private (RFC 1918, IPv6 unique local) address; a host name is neither. */
export function isPrivateAddress(host: string): boolean {
  if (isIP(host) === 4) {
    const [a, b] = host.split(".").map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (isIP(host) === 6) {
    const lower = host.toLowerCase();
    return lower === "::1" || /^f[cd][0-9a-f]{2}:/.test(lower);
  }
  return false;
}

export class EnvError extends Error {}

/** Validates the environment once at start, naming each bad variable. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): ControlEnv {
  const result = checked.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
  throw new EnvError(`softfleet control: invalid configuration\n${lines.join("\n")}`);
}
