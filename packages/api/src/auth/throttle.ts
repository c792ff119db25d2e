import { createHash } from "node:crypto";
import type { Db } from "@softfleet/db";

/**
 * Login throttling against password guessing, per username and per client
 * address, kept in Postgres so that it holds across web processes and
 * restarts. Within a window, past a number of failures, each further failure
 * blocks the key for twice as long as the one before, up to a cap. It is
 * checked before the (costly) password hash is verified.
 */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60_000,
  /** Failures of one username in a window before the backoff starts. */
  perUsername: 5,
  /** Failures from one address in a window (many usernames) before the backoff starts. */
  perAddress: 20,
  firstBlockMs: 1_000,
  maxBlockMs: 15 * 60_000,
};

/** A username as the throttle and the audit log of refused logins keep it: never in clear. */
export function usernameDigest(username: string): string {
  return createHash("sha256").update(`softfleet-login:${username}`).digest("hex").slice(0, 32);
}

export interface ThrottleKeys {
  username: string;
  address: string | null;
}

function keysOf(keys: ThrottleKeys): Array<{ key: string; threshold: number }> {
  return [
    { key: `user:${usernameDigest(keys.username)}`, threshold: LOGIN_THROTTLE.perUsername },
    ...(keys.address ? [{ key: `ip:${keys.address}`, threshold: LOGIN_THROTTLE.perAddress }] : []),
  ];
}

export function backoffMs(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  const doublings = Math.min(failures - threshold, 30);
  return Math.min(LOGIN_THROTTLE.firstBlockMs * 2 ** doublings, LOGIN_THROTTLE.maxBlockMs);
}

/** How long until a login of this username from this address may be tried: 0 when it may now. */
export async function loginBlockedForMs(db: Db, keys: ThrottleKeys, now = new Date()): Promise<number> {
  const rows = await db.loginThrottle.findMany({
    where: { key: { in: keysOf(keys).map((k) => k.key) }, blockedUntil: { gt: now } },
    select: { blockedUntil: true },
  });
  return Math.max(0, ...rows.map((row) => (row.blockedUntil?.getTime() ?? 0) - now.getTime()));
}

/**
 * Counts a failed login against the username and the address. Returns the
 * username's failures in the window so far and, when this failure opened a
 * new window, how many the previous one had: the caller audits one entry
 * per window.
 */
export async function recordLoginFailure(
  db: Db,
  keys: ThrottleKeys,
  now = new Date(),
): Promise<{ failures: number; previousWindowFailures: number | null }> {
  const windowCut = new Date(now.getTime() - LOGIN_THROTTLE.windowMs);
  let usernameResult = { failures: 1, previousWindowFailures: null as number | null };
  for (const [index, { key, threshold }] of keysOf(keys).entries()) {
    const [row] = await db.$queryRaw<Array<{ failures: number; previous: number | null }>>`
      WITH old AS (SELECT failures, "windowStart" FROM "LoginThrottle" WHERE key = ${key})
      INSERT INTO "LoginThrottle" (key, failures, "windowStart") VALUES (${key}, 1, ${now})
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN "LoginThrottle"."windowStart" < ${windowCut} THEN 1 ELSE "LoginThrottle".failures + 1 END,
        "windowStart" = CASE WHEN "LoginThrottle"."windowStart" < ${windowCut} THEN ${now} ELSE "LoginThrottle"."windowStart" END
      RETURNING failures,
        (SELECT CASE WHEN old."windowStart" < ${windowCut} THEN old.failures END FROM old) AS previous`;
    const failures = row?.failures ?? 1;
    const block = backoffMs(failures, threshold);
    if (block > 0) {
      await db.loginThrottle.update({ where: { key }, data: { blockedUntil: new Date(now.getTime() + block) } });
    }
    if (index === 0) usernameResult = { failures, previousWindowFailures: row?.previous ?? null };
  }
  await purgeOccasionally(db, now);
  return usernameResult;
}

/** A successful login clears its username's failures (not its address's: one account must not unlock many). */
export async function clearLoginFailures(db: Db, username: string): Promise<void> {
  await db.loginThrottle.deleteMany({ where: { key: `user:${usernameDigest(username)}` } });
}

let lastPurge = 0;
/** Windows that ended and blocks that expired are forgotten, at most once a minute per process. */
async function purgeOccasionally(db: Db, now: Date) {
  if (now.getTime() - lastPurge < 60_000) return;
  lastPurge = now.getTime();
  await db.loginThrottle.deleteMany({
    where: {
      windowStart: { lt: new Date(now.getTime() - LOGIN_THROTTLE.windowMs) },
      OR: [{ blockedUntil: null }, { blockedUntil: { lt: now } }],
    },
  });
}
