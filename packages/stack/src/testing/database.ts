import { randomBytes } from "node:crypto";
import { createPrismaClient, type Db } from "@softfleet/db";
import { inject } from "vitest";
import { adminQuery, withDatabase } from "./global-setup";

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test run (a copy of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("dbServerUrl");
  const name = `${inject("dbPrefix")}${randomBytes(4).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}" TEMPLATE "${inject("dbTemplate")}"`);
  const url = withDatabase(serverUrl, name);
  const db = createPrismaClient(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
