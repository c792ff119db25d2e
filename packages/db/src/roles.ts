import pg from "pg";
import { parseDatabaseUrl } from "./config";

/**
 * Least privilege in the database. Migrations run as the schema's owner; web
 * and control connect as an app role that can only read and write rows:
 * - every table: SELECT, INSERT, UPDATE, DELETE (no TRUNCATE, no DDL);
 * - the audit log: SELECT and INSERT only (append-only for the app);
 * - the migrations' own table: SELECT (control checks what is applied);
 * - the two functions that make and drop the months of the partitioned tables.
 * Grants are re-applied after every migration, so new tables are covered.
 */

/** The app role the embedded database and docker-compose create. */
export const APP_ROLE = "softfleet_app";

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(parseDatabaseUrl(url));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function checkedRole(role: string): string {
  if (!ROLE_NAME.test(role)) {
    throw new Error(`"${role}" is not a role name softfleet creates: use lower-case letters, digits and _`);
  }
  return role;
}

/**
 * Creates the app's login role when it does not exist (no superuser, no
 * CREATEDB, no CREATEROLE), and sets its password to the given one, so a
 * password changed in the deployment's settings takes effect on the next
 * migration. Needs an owner that may create roles.
 */
export async function ensureAppRole(ownerUrl: string, role: string, password: string | undefined): Promise<void> {
  const name = checkedRole(role);
  await withClient(ownerUrl, async (client) => {
    const found = await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [name]);
    const ident = client.escapeIdentifier(name);
    const secret = password === undefined ? "" : ` PASSWORD ${client.escapeLiteral(password)}`;
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE ROLE ${ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION${secret}`);
      } catch (error) {
        if ((error as { code?: string }).code !== "42501") throw error;
        throw new Error(
          `the role "${name}" of DATABASE_URL does not exist and "${client.user}" may not create roles: ` +
            `create it (CREATE ROLE ${ident} LOGIN PASSWORD '…'), or migrate as a role with CREATEROLE`,
        );
      }
    } else if (found.rows[0].rolsuper) {
      throw new Error(`the app role "${name}" is a superuser: give web and control a role with row rights only`);
    } else if (secret) {
      // A role made by the DBA may not be ours to change: then its password is theirs to keep.
      await client.query(`ALTER ROLE ${ident} WITH LOGIN${secret}`).catch((error: { code?: string }) => {
        if (error.code !== "42501") throw error;
      });
    }
  });
}

/**
 * Gives `role` row rights on softfleet's tables in the database of
 * `ownerUrl`, and nothing more. Idempotent; one transaction, so no request
 * sees a half-granted schema.
 */
export async function grantAppRole(ownerUrl: string, role: string): Promise<void> {
  const name = checkedRole(role);
  await withClient(ownerUrl, async (client) => {
    const ident = client.escapeIdentifier(name);
    const database = client.escapeIdentifier(client.database ?? "");
    await client.query("BEGIN");
    try {
      await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${ident}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${ident}`);
      await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${ident}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${ident}`);
      await client.query(`REVOKE UPDATE, DELETE ON "AuditEntry" FROM ${ident}`);
      await client.query(`REVOKE INSERT, UPDATE, DELETE ON "_prisma_migrations" FROM ${ident}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${ident}`);
      // Control makes the months of the partitioned tables ahead and drops those past the retention.
      await client.query(
        `GRANT EXECUTE ON FUNCTION "softfleet_ensure_partitions"(timestamp, timestamp), ` +
          `"softfleet_drop_partitions_before"(timestamp) TO ${ident}`,
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
}

export interface RoleRights {
  user: string;
  superuser: boolean;
  /** Tables of the public schema this role owns (so may alter or drop). */
  ownedTables: number;
  /** Whether it may rewrite or delete audit entries through privileges. */
  auditWritable: boolean;
}

/** What the role of `url` may do in its database. */
export async function roleRights(url: string): Promise<RoleRights> {
  return withClient(url, async (client) => {
    const { rows } = await client.query(`
      SELECT current_user AS "user",
             (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
             (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'
                AND pg_has_role(current_user, tableowner, 'USAGE')) AS "ownedTables",
             COALESCE(to_regclass('public."AuditEntry"') IS NOT NULL
                AND (has_table_privilege('public."AuditEntry"', 'UPDATE')
                  OR has_table_privilege('public."AuditEntry"', 'DELETE')), false) AS "auditWritable"`);
    return rows[0] as RoleRights;
  });
}

/**
 * A warning to print when web and control would connect with more rights
 * than rows need, or undefined when the role is least-privileged.
 */
export async function privilegeWarning(url: string): Promise<string | undefined> {
  const rights = await roleRights(url);
  const why = rights.superuser
    ? "a superuser"
    : rights.ownedTables > 0
      ? "the owner of softfleet's tables (it may alter or drop them)"
      : rights.auditWritable
        ? "allowed to rewrite the audit log"
        : undefined;
  if (!why) return undefined;
  return (
    `web and control connect to the database as "${rights.user}", ${why}. ` +
    "Set MIGRATION_DATABASE_URL to the owner (migrations) and DATABASE_URL to a role with row rights only; " +
    '`npm run db:migrate` creates and grants it (SECURITY.md, "Database roles")'
  );
}
