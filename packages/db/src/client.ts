import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { parseDatabaseUrl } from "./config";

export type Db = PrismaClient;

export function createPrismaClient(databaseUrl: string): PrismaClient {
  const adapter = new PrismaPg({ ...parseDatabaseUrl(databaseUrl), max: 10 });
  return new PrismaClient({ adapter });
}

const holder = globalThis as typeof globalThis & { __softfleetPrisma?: PrismaClient };

/**
 * The process's one Prisma client, created on first use from DATABASE_URL.
 * Kept on globalThis so Next's dev reloads do not open a pool per reload.
 */
export function getPrisma(): PrismaClient {
  if (!holder.__softfleetPrisma) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start softfleet with `npm start`, which provides it");
    holder.__softfleetPrisma = createPrismaClient(url);
  }
  return holder.__softfleetPrisma;
}

export async function disconnectPrisma(): Promise<void> {
  const client = holder.__softfleetPrisma;
  holder.__softfleetPrisma = undefined;
  await client?.$disconnect();
}
