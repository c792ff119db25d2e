/**
 * @softfleet/user-cli: `npm run user -- create|reset-password|set-role|list`,
 * user administration from a shell on the server (the first admin, a lost
 * password). Each change goes through the domain layer and is audited.
 */
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { assertPasswordAccount, createUser, schemas, setUserRole } from "@softfleet/api";
import { hashPassword } from "@softfleet/api/auth";
import { createPrismaClient, type Db } from "@softfleet/db";
import { repoRoot } from "@softfleet/db/paths";
import { defaultDataDir, loadStackEnv, prepareProvidedDatabase, provideDatabase } from "@softfleet/launcher";
import type { z } from "zod";

const USAGE = `Manage softfleet users from the command line (for the first admin, or a lost password).

  npm run user -- create --username NAME --role viewer|operator|admin [--display-name "Full Name"] [--password-stdin]
  npm run user -- reset-password --username NAME [--password-stdin]
  npm run user -- set-role --username NAME --role viewer|operator|admin
  npm run user -- list

Without --password-stdin a strong password is generated and printed once.
Uses DATABASE_URL, or else the embedded database in .data (started for the command if npm start is not running).`;

class UsageError extends Error {}

function parse<T extends z.ZodType>(schema: T, value: unknown, flag: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`--${flag}: ${result.error.issues.map((i) => i.message).join(", ")}`);
  return result.data;
}

async function readPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(15).toString("base64url"), generated: true };
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return { password: parse(schemas.password, text.replace(/\r?\n$/, ""), "password-stdin"), generated: false };
}

async function audit(db: Db, action: string, user: { id: string; username: string }, details?: object) {
  await db.auditEntry.create({
    data: {
      actorType: "system",
      actorName: `cli (${userInfo().username})`,
      action,
      targetType: "user",
      targetId: user.id,
      targetName: user.username,
      details: details ?? undefined,
    },
  });
}

async function run(db: Db, command: string | undefined, values: Record<string, string | boolean | undefined>) {
  const username = () => parse(schemas.username, values.username, "username");
  const role = () => parse(schemas.role, values.role, "role");
  const existing = async () => {
    const name = username();
    const user = await db.user.findUnique({ where: { username: name } });
    if (!user) throw new UsageError(`no user called "${name}" (npm run user -- list shows them)`);
    return user;
  };
  switch (command) {
    case "create": {
      const input = { username: username(), role: role() };
      const displayName = parse(schemas.displayName, values["display-name"] ?? input.username, "display-name");
      const { password, generated } = await readPassword(Boolean(values["password-stdin"]));
      const user = await db.$transaction(async (tx) => {
        const created = await createUser(tx as Db, { ...input, displayName, password }).catch((error: Error) => {
          throw new UsageError(error.message);
        });
        await audit(tx as Db, "user.created", created, { role: created.role });
        return created;
      });
      console.log(`created ${user.role} "${user.username}"${generated ? ` with password: ${password}` : ""}`);
      return;
    }
    case "reset-password": {
      const user = await existing();
      try {
        assertPasswordAccount(user);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const { password, generated } = await readPassword(Boolean(values["password-stdin"]));
      const passwordHash = await hashPassword(password);
      await db.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { passwordHash, disabledAt: null } });
        await tx.session.deleteMany({ where: { userId: user.id } });
        await audit(tx as Db, "user.password_reset", user);
      });
      console.log(
        `reset the password of "${user.username}"${generated ? `: ${password}` : ""}; their sessions were ended`,
      );
      return;
    }
    case "set-role": {
      const user = await existing();
      const next = role();
      await db.$transaction(async (tx) => {
        // The dashboard's rule: the last active admin stays an admin.
        await setUserRole(tx as Db, user, next);
        await audit(tx as Db, "user.role_changed", user, { from: user.role, to: next });
      });
      console.log(`"${user.username}" is now ${next}`);
      return;
    }
    case "list": {
      const users = await db.user.findMany({ orderBy: { username: "asc" } });
      if (users.length === 0) console.log("no users yet");
      for (const u of users)
        console.log(`${u.username.padEnd(24)} ${u.role.padEnd(9)} ${u.disabledAt ? "disabled" : "active"}`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : "name a command");
  }
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      username: { type: "string" },
      role: { type: "string" },
      "display-name": { type: "string" },
      "password-stdin": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  const env = loadStackEnv();
  const root = repoRoot();
  const database = await provideDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.SOFTFLEET_DATA_DIR ?? defaultDataDir(root),
    port: env.SOFTFLEET_PG_PORT,
    migrationDatabaseUrl: env.MIGRATION_DATABASE_URL,
  });
  const db = createPrismaClient(database.url);
  try {
    await prepareProvidedDatabase(database);
    await run(db, positionals[0], values);
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

main().catch((error) => {
  if (error instanceof UsageError) console.error(`error: ${error.message}\n\n${USAGE}`);
  else console.error(`error: ${(error as Error).message}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
