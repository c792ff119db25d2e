import { readFileSync } from "node:fs";
import type { PoolConfig } from "pg";

/** Discrete connection fields; PrismaPg is given these, not a connection string. */
export type PgConnection = Required<Pick<PoolConfig, "host" | "port" | "user" | "database">> & {
  password?: string;
  /** TLS to the server, from sslmode and sslrootcert (libpq's meaning); absent: none. */
  ssl?: PoolConfig["ssl"];
  /** As given in the URL, so that formatDatabaseUrl keeps them. */
  sslmode?: string;
  sslrootcert?: string;
  /** A connection that cannot be made in this time fails, rather than hanging a request. */
  connectionTimeoutMillis: number;
  /** The server cancels any statement running longer (SOFTFLEET_DB_STATEMENT_TIMEOUT_MS). */
  statement_timeout: number;
};

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

/** libpq's sslmode for node-postgres: allow and prefer cannot fall back here, so they mean no TLS. */
function sslOf(mode: string | null, rootCert: string | null): PoolConfig["ssl"] | undefined {
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    throw new DatabaseUrlError(`DATABASE_URL sslmode=${mode}: use one of ${SSL_MODES.join(", ")}`);
  }
  const effective = mode ?? (rootCert ? "verify-full" : null);
  if (effective === null || effective === "disable" || effective === "allow" || effective === "prefer")
    return undefined;
  let ca: Buffer | undefined;
  if (rootCert) {
    try {
      ca = readFileSync(rootCert);
    } catch (error) {
      throw new DatabaseUrlError(
        `DATABASE_URL sslrootcert=${rootCert}: cannot read it (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  // require: encrypted; with a root certificate it is verified too, as libpq does.
  if (effective === "require" && !ca) return { rejectUnauthorized: false };
  if (effective === "verify-full") return { ca, rejectUnauthorized: true };
  // verify-ca (or require with a root certificate): the chain is checked, the host name is not.
  return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

function timeoutFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\/.*)$/;
const warned = new Set<string>();

/** Says once per server when a remote database is reached without TLS: passwords and data cross the network in clear. */
function warnIfCleartext(c: PgConnection) {
  if (c.ssl || LOOPBACK.test(c.host) || warned.has(c.host)) return;
  warned.add(c.host);
  console.error(
    `[db] WARNING: the database at ${c.host} is reached without TLS: add ?sslmode=verify-full&sslrootcert=/path/to/ca.pem to DATABASE_URL`,
  );
}

export class DatabaseUrlError extends Error {}

/** Parses a postgres:// URL, explaining what is wrong with a bad one. */
export function parseDatabaseUrl(url: string): PgConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(
      `DATABASE_URL is not a URL: expected postgres://user:password@host:5432/database, got "${redact(url)}"`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseUrlError(`DATABASE_URL must start with postgres:// or postgresql://, got "${parsed.protocol}//"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new DatabaseUrlError("DATABASE_URL names no database (the path after the host)");
  const socketHost = parsed.searchParams.get("host");
  const sslmode = parsed.searchParams.get("sslmode");
  const sslrootcert = parsed.searchParams.get("sslrootcert");
  const connection: PgConnection = {
    host: socketHost ?? (parsed.hostname.replace(/^\[|\]$/g, "") || "localhost"),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username || "postgres"),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    ...(sslmode ? { sslmode } : {}),
    ...(sslrootcert ? { sslrootcert } : {}),
    connectionTimeoutMillis: timeoutFromEnv("SOFTFLEET_DB_CONNECT_TIMEOUT_MS", 10_000),
    statement_timeout: timeoutFromEnv("SOFTFLEET_DB_STATEMENT_TIMEOUT_MS", 120_000),
  };
  const ssl = sslOf(sslmode, sslrootcert);
  if (ssl) connection.ssl = ssl;
  warnIfCleartext(connection);
  return connection;
}

export function formatDatabaseUrl(
  c: Pick<PgConnection, "host" | "port" | "user" | "database" | "password" | "sslmode" | "sslrootcert">,
): string {
  const auth = c.password
    ? `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`
    : encodeURIComponent(c.user);
  const query = new URLSearchParams();
  if (c.sslmode) query.set("sslmode", c.sslmode);
  if (c.sslrootcert) query.set("sslrootcert", c.sslrootcert);
  const host = c.host.includes(":") ? `[${c.host}]` : c.host;
  return `postgresql://${auth}@${host}:${c.port}/${encodeURIComponent(c.database)}${query.size ? `?${query}` : ""}`;
}

/** The URL with its password hidden, for logs and error messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}
