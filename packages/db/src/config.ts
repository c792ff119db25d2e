import type { PoolConfig } from "pg";

/** Discrete connection fields; PrismaPg is given these, not a connection string. */
export type PgConnection = Required<Pick<PoolConfig, "host" | "port" | "user" | "database">> & {
  password?: string;
};

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
  return {
    host: socketHost ?? (parsed.hostname || "localhost"),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username || "postgres"),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
  };
}

export function formatDatabaseUrl(c: PgConnection): string {
  const auth = c.password
    ? `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`
    : encodeURIComponent(c.user);
  return `postgresql://${auth}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** The URL with its password hidden, for logs and error messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}
