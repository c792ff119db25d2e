import { Prisma } from "@softfleet/db";
import type { Sql } from "./sql";

/**
 * What the payloads of a set of reboots kept and pinned, from the reboot
 * records' JSON: the surviving units (SurviveFinalKillSignal=yes) that kept
 * running, and the nodes whose old root was still held after a soft-reboot.
 * `base` is a query of reboots with "recordId", "nodeId", hostname and
 * "imageVersionAfter" (a rollout's nodes, or the fleet report's range). A
 * stored value that is not the expected shape is skipped, never an error.
 */

/** Payload figures for the reboots into one image version (null: all of them). */
export interface PayloadStats {
  imageVersion: string | null;
  /** Surviving units across the reboots (one per unit per reboot), and those that kept running. */
  survivorsTotal: number;
  survivorsKept: number;
  /** Nodes looked at for a pinned old root (a soft-reboot into a new root), and those where one was held. */
  scannedNodes: number;
  pinnedNodes: number;
  pinnedP50Kb: number | null;
  pinnedMaxKb: number | null;
}

export interface SurvivorUnitRow {
  name: string;
  total: number;
  kept: number;
}

/** What one probed payload's clients saw across the reboots: the longest gap of each reboot, summed failures. */
export interface ClientGapRow {
  name: string;
  reboots: number;
  failedProbes: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface PinnedNodeRow {
  nodeId: string;
  hostname: string;
  recordId: string;
  imageVersionAfter: string | null;
  pssKb: number;
  /** The units (or commands) of the processes that held it. */
  by: string[];
}

const records = (base: Prisma.Sql) => Prisma.sql`
  SELECT b."recordId", b."nodeId", b.hostname, b."imageVersionAfter", r.units, r."pinnedRoot", r."clientGaps"
  FROM (${base}) b JOIN "RebootRecord" r ON r.id = b."recordId" AND r."recordedAt" = b."recordedAt"`;

const survivors = (base: Prisma.Sql) => Prisma.sql`
  SELECT x."imageVersionAfter", u->>'name' AS name, (u->>'outcome' = 'survived') AS kept
  FROM (${records(base)}) x
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(x.units) = 'array' THEN x.units ELSE '[]'::jsonb END) u
  WHERE u->'survives' = 'true'::jsonb AND u->>'outcome' IN ('survived', 'restarted', 'absent')`;

/**
 * A JSON number as a non-negative int, null for anything else. Guarded by CASE,
 * not by a WHERE: Postgres may compute a select list before a filter on it.
 */
export const jsonInt = (value: Prisma.Sql) => Prisma.sql`CASE WHEN jsonb_typeof(${value}) = 'number'
  THEN LEAST(GREATEST(round((${value})::numeric), 0), 2147483647)::int END`;

const pinned = (base: Prisma.Sql) => Prisma.sql`
  SELECT * FROM (
    SELECT x."recordId", x."nodeId", x.hostname, x."imageVersionAfter", ${jsonInt(Prisma.sql`x."pinnedRoot"->'pssKb'`)} AS kb,
      CASE WHEN jsonb_typeof(x."pinnedRoot"->'processes') = 'array'
        THEN jsonb_array_length(x."pinnedRoot"->'processes') END AS holders,
      CASE WHEN jsonb_typeof(x."pinnedRoot"->'processes') = 'array' THEN x."pinnedRoot"->'processes' END AS processes
    FROM (${records(base)}) x
  ) p WHERE p.kb IS NOT NULL AND p.holders IS NOT NULL`;

/**
 * A record's payload facts, kept by Postgres when it is written (generated
 * columns, migration 20261205020000_payload_facts: the same expressions as
 * `survivors` and `pinned` above): rows of "nodeId", "imageVersionAfter",
 * "survivorsTotal", "survivorsKept", "pinnedKb", "pinnedHolders".
 */
const factsOf = (base: Prisma.Sql) => Prisma.sql`
  SELECT b."nodeId", b."imageVersionAfter", r."survivorsTotal", r."survivorsKept", r."pinnedKb", r."pinnedHolders"
  FROM (${base}) b JOIN "RebootRecord" r ON r.id = b."recordId" AND r."recordedAt" = b."recordedAt"`;

/** The figures for all the reboots of `base` (imageVersion null) and per image version after them. */
export function payloadStats(db: Sql, base: Prisma.Sql): Promise<PayloadStats[]> {
  return payloadStatsOf(db, factsOf(base));
}

/**
 * The same from rows of payload facts (see factsOf): the fleet report reads
 * them from an index of the records that have any, never their JSON.
 */
export async function payloadStatsOf(db: Sql, facts: Prisma.Sql): Promise<PayloadStats[]> {
  const survived = await db.$queryRaw<
    Array<{ all: boolean; imageVersion: string | null; total: number; kept: number }>
  >`
    SELECT grouping(s."imageVersionAfter") = 1 AS all, s."imageVersionAfter" AS "imageVersion",
      COALESCE(sum(s."survivorsTotal"), 0)::int AS total, COALESCE(sum(s."survivorsKept"), 0)::int AS kept
    FROM (${facts}) s WHERE s."survivorsTotal" > 0 GROUP BY GROUPING SETS ((), (s."imageVersionAfter"))`;
  const held = await db.$queryRaw<
    Array<{
      all: boolean;
      imageVersion: string | null;
      scanned: number;
      nodes: number;
      p50: number | null;
      max: number | null;
    }>
  >`
    SELECT grouping(p."imageVersionAfter") = 1 AS all, p."imageVersionAfter" AS "imageVersion",
      count(DISTINCT p."nodeId")::int AS scanned,
      count(DISTINCT p."nodeId") FILTER (WHERE p."pinnedHolders" > 0)::int AS nodes,
      (percentile_cont(0.5) WITHIN GROUP (ORDER BY p."pinnedKb") FILTER (WHERE p."pinnedHolders" > 0))::int AS p50,
      (max(p."pinnedKb") FILTER (WHERE p."pinnedHolders" > 0))::int AS max
    FROM (${facts}) p WHERE p."pinnedKb" IS NOT NULL AND p."pinnedHolders" IS NOT NULL
    GROUP BY GROUPING SETS ((), (p."imageVersionAfter"))`;
  const keys = new Map<string, PayloadStats>();
  const entry = (all: boolean, imageVersion: string | null) => {
    const key = all ? "*" : `=${imageVersion ?? ""}`;
    let stats = keys.get(key);
    if (!stats) {
      stats = {
        imageVersion: all ? null : imageVersion,
        survivorsTotal: 0,
        survivorsKept: 0,
        scannedNodes: 0,
        pinnedNodes: 0,
        pinnedP50Kb: null,
        pinnedMaxKb: null,
      };
      keys.set(key, stats);
    }
    return stats;
  };
  // The whole set first, even when it has no figures.
  entry(true, null);
  for (const row of survived)
    Object.assign(entry(row.all, row.imageVersion), { survivorsTotal: row.total, survivorsKept: row.kept });
  for (const row of held) {
    Object.assign(entry(row.all, row.imageVersion), {
      scannedNodes: row.scanned,
      pinnedNodes: row.nodes,
      pinnedP50Kb: row.p50,
      pinnedMaxKb: row.max,
    });
  }
  return [...keys.values()];
}

/** Each surviving unit: in how many reboots it was configured to survive, and kept running. */
export async function survivorUnits(db: Sql, base: Prisma.Sql): Promise<SurvivorUnitRow[]> {
  return db.$queryRaw<SurvivorUnitRow[]>`
    SELECT s.name, count(*)::int AS total, count(*) FILTER (WHERE s.kept)::int AS kept
    FROM (${survivors(base)}) s GROUP BY s.name ORDER BY count(*) FILTER (WHERE NOT s.kept) DESC, s.name LIMIT 50`;
}

/** The nodes whose old root was held after their reboot, most memory first (at most `limit`). */
export async function pinnedNodes(db: Sql, base: Prisma.Sql, limit = 50): Promise<PinnedNodeRow[]> {
  return db.$queryRaw<PinnedNodeRow[]>`
    SELECT p."nodeId", p.hostname, p."recordId", p."imageVersionAfter", p.kb AS "pssKb",
      COALESCE((SELECT array_agg(DISTINCT COALESCE(e->>'unit', e->>'comm')) FROM jsonb_array_elements(p.processes) e
        WHERE COALESCE(e->>'unit', e->>'comm') IS NOT NULL), '{}') AS by
    FROM (${pinned(base)}) p WHERE p.holders > 0 ORDER BY p.kb DESC, p.hostname LIMIT ${limit}`;
}

/** Each probed payload's gap in each reboot of `base`, with the image version after it. */
const gapRows = (base: Prisma.Sql) => Prisma.sql`
  SELECT x."imageVersionAfter", g->>'name' AS name,
    CASE WHEN jsonb_typeof(g->'longestGapMs') = 'number' THEN (g->'longestGapMs')::float8 END AS ms,
    ${jsonInt(Prisma.sql`g->'failedProbes'`)} AS failed
  FROM (${records(base)}) x
  CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(x."clientGaps") = 'array' THEN x."clientGaps" ELSE '[]'::jsonb END) g`;

const gapFigures = Prisma.sql`count(*)::int AS reboots, COALESCE(sum(g.failed), 0)::int AS "failedProbes",
  percentile_cont(0.5) WITHIN GROUP (ORDER BY g.ms) AS "p50Ms",
  percentile_cont(0.95) WITHIN GROUP (ORDER BY g.ms) AS "p95Ms", max(g.ms) AS "maxMs"`;

/** Per probed payload (by the prober's name for it): its longest client-visible gap per reboot, p50 / p95 / max. */
export async function clientGapStats(db: Sql, base: Prisma.Sql): Promise<ClientGapRow[]> {
  return db.$queryRaw<ClientGapRow[]>`
    SELECT g.name, ${gapFigures}
    FROM (${gapRows(base)}) g WHERE g.name IS NOT NULL AND g.ms IS NOT NULL
    GROUP BY g.name ORDER BY max(g.ms) DESC, g.name LIMIT 32`;
}

/**
 * The same per image version after the reboot (for the fleet report), at most
 * 200 rows, from rows of "imageVersionAfter", name, ms, failed: the records'
 * RebootClientGap rows (one per probed payload, kept by a trigger), never
 * their JSON.
 */
export async function clientGapStatsByImage(
  db: Sql,
  rows: Prisma.Sql,
): Promise<Array<ClientGapRow & { imageVersion: string | null }>> {
  return db.$queryRaw<Array<ClientGapRow & { imageVersion: string | null }>>`
    SELECT g."imageVersionAfter" AS "imageVersion", g.name, ${gapFigures}
    FROM (${rows}) g WHERE g.name IS NOT NULL AND g.ms IS NOT NULL
    GROUP BY g."imageVersionAfter", g.name ORDER BY g."imageVersionAfter" NULLS LAST, max(g.ms) DESC, g.name LIMIT 200`;
}
