import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import { parseDatabaseUrl } from "./packages/db/src/config";

// Prisma's JS schema engine: migrations run through the pg driver, so no
// engine binary has to be downloaded (see ../shared/docs/stack-notes.md).
export default defineConfig({
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  engine: "js",
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: run migrations through `npm run db:migrate`");
    return new PrismaPg({ ...parseDatabaseUrl(url), allowExitOnIdle: true });
  },
});
