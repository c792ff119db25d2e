import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { formatDatabaseUrl, parseDatabaseUrl, redact } from "@softfleet/db";
import { makeScratchDir, startEmbeddedPostgres } from "@softfleet/db/embedded";
import { prepareDatabase } from "@softfleet/db/migrate";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL on the test server whose database can create others (a superuser or owner). */
    dbServerUrl: string;
    /** The run's app role and its password: row rights only, as web and control run in production. */
    dbAppRole: string;
    dbAppPassword: string;
    /** A migrated database to copy for each test file. */
    dbTemplate: string;
    /** Prefix of every database this run creates. */
    dbPrefix: string;
  }
}

/**
 * Integration tests run against a real PostgreSQL: the server DATABASE_URL
 * names, or else an embedded one in a temporary folder. Migrations are applied
 * once to a template database; each test file gets a fresh copy of it.
 */
export default async function setup(project: TestProject) {
  const runId = randomBytes(3).toString("hex");
  const prefix = `sf_test_${runId}_`;
  let stopEmbedded = async () => {};
  let tempDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    console.error(`[tests] using the PostgreSQL server of DATABASE_URL (${redact(serverUrl)})`);
  } else {
    tempDir = await makeScratchDir("softfleet-test-");
    const server = await startEmbeddedPostgres({ dataDir: join(tempDir, "postgres"), port: 0, ephemeral: true });
    console.error(`[tests] started an embedded PostgreSQL on port ${server.port}`);
    serverUrl = server.url;
    stopEmbedded = server.stop;
  }
  // Lab suites share one image: build it (cached) once, before they run in parallel.
  const lab = await import("@softfleet/lab");
  if (lab.labPrerequisites().ok) await lab.buildImage();

  // Tests connect as a role of their own with row rights only, as web and control do in production.
  const appRole = `${prefix}app`;
  const appPassword = randomBytes(12).toString("base64url");
  const template = `${prefix}template`;
  await adminQuery(serverUrl, `CREATE DATABASE "${template}"`);
  const templateUrl = withDatabase(serverUrl, template);
  await prepareDatabase(templateUrl, withRole(templateUrl, appRole, appPassword));

  project.provide("dbServerUrl", serverUrl);
  project.provide("dbTemplate", template);
  project.provide("dbPrefix", prefix);
  project.provide("dbAppRole", appRole);
  project.provide("dbAppPassword", appPassword);

  return async () => {
    const { rows } = await adminQuery(serverUrl, "SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${prefix}%`,
    ]);
    for (const row of rows) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
    await adminQuery(serverUrl, `DROP ROLE IF EXISTS "${appRole}"`);
    await stopEmbedded();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  return formatDatabaseUrl({ ...parseDatabaseUrl(url), database });
}

export function withRole(url: string, user: string, password: string): string {
  return formatDatabaseUrl({ ...parseDatabaseUrl(url), user, password });
}

export async function adminQuery(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client(parseDatabaseUrl(url));
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
