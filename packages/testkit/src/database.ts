import { randomBytes } from "node:crypto";
import { createPrismaClient, type Db } from "@softfleet/db";
import { inject } from "vitest";
import { adminQuery, withDatabase, withRole } from "./global-setup";

export interface TestDatabase {
  /** As the run's app role: row rights only, as web and control have. */
  url: string;
  /** As the owner: for what only an owner does (seeding in bulk, checking the role's limits). */
  ownerUrl: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test run (a copy of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("dbServerUrl");
  const name = `${inject("dbPrefix")}${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}" TEMPLATE "${inject("dbTemplate")}"`);
  const ownerUrl = withDatabase(serverUrl, name);
  const url = withRole(ownerUrl, inject("dbAppRole"), inject("dbAppPassword"));
  const db = createPrismaClient(url);
  return {
    url,
    ownerUrl,
    db,
    async drop() {
      await db.$disconnect();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
