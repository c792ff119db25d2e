import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { parseDatabaseUrl } from "./config";

export type Db = PrismaClient;

/**
 * A Prisma client on its own pool of 10. `applicationName` is what Postgres
 * shows for its connections (pg_stat_activity, the server's log, control's
 * softfleet_db_connections), so that an operator can tell softfleet's processes apart.
 */
export function createPrismaClient(databaseUrl: string, applicationName = "softfleet"): PrismaClient {
  const adapter = new PrismaPg({ ...parseDatabaseUrl(databaseUrl), max: 10, application_name: applicationName });
  return new PrismaClient({ adapter });
}

const holder = globalThis as typeof globalThis & {
  __softfleetPrisma?: PrismaClient;
  __softfleetReportsPrisma?: PrismaClient;
};

/**
 * The process's one Prisma client, created on first use from DATABASE_URL.
 * Kept on globalThis so Next's dev reloads do not open a pool per reload.
 */
export function getPrisma(): PrismaClient {
  if (!holder.__softfleetPrisma) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start softfleet with `npm start`, which provides it");
    holder.__softfleetPrisma = createPrismaClient(url, "softfleet-web");
  }
  return holder.__softfleetPrisma;
}

/** Where reports read: a read replica (REPORTS_DATABASE_URL), or the primary. */
export interface ReportsDb {
  db: PrismaClient;
  /** A read-only replica: reports read there and keep nothing (the primary's control keeps their facts). */
  replica: boolean;
}

/**
 * The process's client for reports: REPORTS_DATABASE_URL's (a streaming
 * replica of the primary, so reports never compete with ingest and the
 * engine), else the one client.
 */
export function getReportsPrisma(): ReportsDb {
  const url = process.env.REPORTS_DATABASE_URL;
  if (!url) return { db: getPrisma(), replica: false };
  holder.__softfleetReportsPrisma ??= createPrismaClient(url, "softfleet-web reports");
  return { db: holder.__softfleetReportsPrisma, replica: true };
}

export async function disconnectPrisma(): Promise<void> {
  const clients = [holder.__softfleetPrisma, holder.__softfleetReportsPrisma];
  holder.__softfleetPrisma = undefined;
  holder.__softfleetReportsPrisma = undefined;
  await Promise.all(clients.map((client) => client?.$disconnect()));
}
