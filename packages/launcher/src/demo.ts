import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createUser } from "@softfleet/api";
import { verifyPassword } from "@softfleet/api/auth";
import type { Db } from "@softfleet/db";

export interface DemoCredentials {
  username: string;
  password: string;
}

export type DemoAdmin =
  | { state: "ready"; credentials: DemoCredentials; created: boolean }
  | { state: "changed"; username: string }
  | { state: "none" };

/**
 * On the embedded demo database the first start creates an admin with a
 * random password, kept in `<dataDir>/demo-credentials.json` (mode 600) and
 * printed at every start while it still works.
 */
export async function ensureDemoAdmin(db: Db, dataDir: string): Promise<DemoAdmin> {
  const file = join(dataDir, "demo-credentials.json");
  const saved = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as DemoCredentials,
    () => undefined,
  );
  if ((await db.user.count()) === 0) {
    const credentials = { username: "admin", password: randomBytes(12).toString("base64url") };
    await db.$transaction(async (tx) => {
      const user = await createUser(tx, { ...credentials, displayName: "Demo admin", role: "admin" });
      await tx.auditEntry.create({
        data: {
          actorType: "system",
          actorName: "npm start",
          action: "user.created",
          targetType: "user",
          targetId: user.id,
          targetName: user.username,
          details: { role: "admin", reason: "first start of the embedded demo" },
        },
      });
    });
    await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    return { state: "ready", credentials, created: true };
  }
  if (!saved) return { state: "none" };
  const user = await db.user.findUnique({ where: { username: saved.username } });
  if (user && !user.disabledAt && (await verifyPassword(user.passwordHash, saved.password))) {
    return { state: "ready", credentials: saved, created: false };
  }
  return { state: "changed", username: saved.username };
}

/**
 * What `npm start` prints for the demo admin: the password once, when it is
 * made (a terminal's scrollback or a CI log keeps what it shows); afterwards
 * where it is kept.
 */
export function demoLoginLine(demo: Extract<DemoAdmin, { state: "ready" }>, dataDir: string): string {
  const file = join(dataDir, "demo-credentials.json");
  return demo.created
    ? `  log in as:            ${demo.credentials.username} / ${demo.credentials.password}   (demo admin, created now; kept in ${file})`
    : `  log in as:            ${demo.credentials.username} (its password is in ${file}, mode 600)`;
}
