import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError } from "./errors";

/** Where `softfleet login` keeps the server and the token (mode 600, like gh's and kubectl's). */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "softfleet", "credentials.json");
}

export interface Credentials {
  url: string;
  token: string;
}

/** SOFTFLEET_URL and SOFTFLEET_TOKEN (a pipeline's secrets) win over what `login` saved. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  let saved: Partial<Credentials> = {};
  const path = credentialsPath(env);
  if (existsSync(path)) {
    try {
      saved = JSON.parse(readFileSync(path, "utf8")) as Partial<Credentials>;
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${(error as Error).message}; run softfleet login again`);
    }
  }
  const url = env.SOFTFLEET_URL || saved.url;
  const token = env.SOFTFLEET_TOKEN || saved.token;
  if (!url || !token) {
    throw new CliError(
      "not logged in: run `softfleet login --url <dashboard address>` with an API token from Settings, or set SOFTFLEET_URL and SOFTFLEET_TOKEN",
    );
  }
  return { url: normalizeUrl(url), token };
}

export function saveCredentials(credentials: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = credentialsPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** The dashboard's address: http(s), no path; plain http only to loopback (the token would travel in the clear). */
export function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      `--url: "${raw}" is not a URL; give the dashboard's address, e.g. https://softfleet.example.com`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new CliError(`--url: use an https:// address, not ${url.protocol}`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol === "http:" && !loopback) {
    throw new CliError(`--url: ${url.host} is not loopback, so the token needs https:// (got http://)`);
  }
  return url.origin;
}
