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
 * The units of the reboots in `base` (rows with units, hostname), from the
 * records' JSON: counts per outcome and gap percentiles of restarts.
 */
export async function servicesOf(
  db: Sql,
  base: Prisma.Sql,
  options: { withHosts?: boolean; orderBySlowest?: boolean; limit?: number } = {},
): Promise<ServiceRow[]> {
  const hosts = options.withHosts
    ? Prisma.sql`, ${hostsOf("survived")}, ${hostsOf("restarted")}, ${hostsOf("absent")}`
    : Prisma.empty;
  const order = options.orderBySlowest
    ? Prisma.sql`ORDER BY "gapP95Ms" DESC NULLS LAST, restarted DESC, name`
    : Prisma.sql`ORDER BY name`;
  const limit = options.limit ? Prisma.sql`LIMIT ${options.limit}` : Prisma.empty;
  return db.$queryRaw<ServiceRow[]>`
    WITH u AS (
      SELECT b.hostname, e->>'name' AS name, e->>'outcome' AS outcome,
        CASE WHEN e->>'outcome' = 'restarted'
          AND (e->>'activeEnterUsec')::numeric >= (e->>'inactiveEnterUsec')::numeric
          THEN ((e->>'activeEnterUsec')::numeric - (e->>'inactiveEnterUsec')::numeric)::float8 / 1000 END AS gap
      FROM (${base}) b CROSS JOIN LATERAL jsonb_array_elements(b.units) e
      WHERE jsonb_typeof(b.units) = 'array'
    )
    SELECT name,
      count(*) FILTER (WHERE outcome = 'survived')::int AS survived,
      count(*) FILTER (WHERE outcome = 'restarted')::int AS restarted,
      count(*) FILTER (WHERE outcome = 'absent')::int AS absent,
      count(*) FILTER (WHERE outcome NOT IN ('survived', 'restarted', 'absent') OR outcome IS NULL)::int AS unknown,
      count(gap)::int AS "gapN",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS "gapP50Ms",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY gap) AS "gapP95Ms",
      max(gap) AS "gapMaxMs"
      ${hosts}
    FROM u WHERE name IS NOT NULL GROUP BY name ${order} ${limit}`;
}
