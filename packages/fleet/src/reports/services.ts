import { Prisma } from "@softfleet/db";
import type { Sql } from "./sql";

/** One watched unit over a set of reboots: how often it survived, and the gap when it restarted. */
export interface ServiceRow {
  name: string;
  survived: number;
  restarted: number;
  absent: number;
  unknown: number;
  /** Restarts whose gap (inactive -> active again, node clock) is known. */
  gapN: number;
  gapP50Ms: number | null;
  gapP95Ms: number | null;
  gapMaxMs: number | null;
  /** Hostnames per outcome (rollout report only; at most 200 each). */
  survivedOn?: string[];
  restartedOn?: string[];
  absentOn?: string[];
}

const HOSTS_PER_OUTCOME = 200;
const hostsOf = (outcome: string) =>
  Prisma.raw(
    `(array_agg(DISTINCT u.hostname) FILTER (WHERE u.outcome = '${outcome}'))[1:${HOSTS_PER_OUTCOME}] AS "${outcome}On"`,
  );

/**
 * The services breakdown over `units` (rows of RebootUnit, with a hostname
 * when `withHosts`): counts per outcome and gap percentiles of restarts, one
 * row per unit name. A SELECT to run or to embed in a larger statement.
 */
function servicesSql(units: Prisma.Sql, options: { withHosts?: boolean }): Prisma.Sql {
  const hosts = options.withHosts
    ? Prisma.sql`, ${hostsOf("survived")}, ${hostsOf("restarted")}, ${hostsOf("absent")}`
    : Prisma.empty;
  // Counts by hashing, percentiles sorting only the restarts' gaps (not every unit row by name).
  return Prisma.sql`
    WITH u AS NOT MATERIALIZED (${units}),
    counts AS (
      SELECT u.name,
        count(*) FILTER (WHERE u.outcome = 'survived')::int AS survived,
        count(*) FILTER (WHERE u.outcome = 'restarted')::int AS restarted,
        count(*) FILTER (WHERE u.outcome = 'absent')::int AS absent,
        count(*) FILTER (WHERE u.outcome NOT IN ('survived', 'restarted', 'absent') OR u.outcome IS NULL)::int AS unknown
        ${hosts}
      FROM u GROUP BY u.name
    ),
    gaps AS (
      SELECT u.name, count(*)::int AS "gapN",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY u."gapMs") AS "gapP50Ms",
        percentile_cont(0.95) WITHIN GROUP (ORDER BY u."gapMs") AS "gapP95Ms",
        max(u."gapMs") AS "gapMaxMs"
      FROM u WHERE u."gapMs" IS NOT NULL GROUP BY u.name
    )
    SELECT c.*, COALESCE(g."gapN", 0) AS "gapN", g."gapP50Ms", g."gapP95Ms", g."gapMaxMs"
    FROM counts c LEFT JOIN gaps g ON g.name = c.name ORDER BY c.name`;
}

/**
 * The units of the reboots in `base` (rows with recordId and hostname), from
 * RebootUnit (one row per watched unit of a record, written with the record).
 */
export async function servicesOf(
  db: Sql,
  base: Prisma.Sql,
  options: { withHosts?: boolean } = {},
): Promise<ServiceRow[]> {
  const units = Prisma.sql`
    SELECT b.hostname, x.name, x.outcome, x."gapMs"
    FROM (${base}) b JOIN "RebootUnit" x ON x."recordId" = b."recordId" AND x."recordedAt" = b."recordedAt"`;
  return db.$queryRaw<ServiceRow[]>(servicesSql(units, options));
}
