import type { Db } from "@softfleet/db";
import { groupNodesSql, unfinishedRolloutStatuses } from "@softfleet/fleet";
import { Gauge, type Registry } from "prom-client";

/** Label values kept per metric at most: the rest are summed under "other" (a fleet of many images stays bounded). */
export const MAX_SERIES = 100;
/** A scrape reads the database at most this often; scrapes in between get the last figures. */
const FRESH_MS = 5_000;

interface Figures {
  nodes: Array<{ status: string; image: string; count: number }>;
  groups: Array<{ group: string; status: string; count: number }>;
  rollouts: Array<{ status: string; count: number }>;
  rolloutNodes: Array<{ rollout: string; group: string; status: string; count: number }>;
  rolloutBatches: Array<{ rollout: string; group: string; status: string; count: number }>;
  connections: Array<{ application: string; state: string; count: number }>;
}

/**
 * The fleet as Postgres holds it, read when Prometheus scrapes (in five
 * aggregate statements, at most every 5 s): nodes by status and image
 * version, each group's nodes by status, rollouts by status, and the batches
 * and nodes of each unfinished rollout by status (its progress). Every process reports the
 * same figures: sum them with max(), not sum().
 */
export function registerFleetMetrics(registry: Registry, db: Db) {
  let last: { at: number; figures: Promise<Figures> } | null = null;
  const figures = () => {
    const now = Date.now();
    if (!last || now - last.at > FRESH_MS) {
      const reading = read(db);
      last = { at: now, figures: reading };
      // A failed read is not kept: the next scrape tries again.
      reading.catch(() => {
        if (last?.figures === reading) last = null;
      });
    }
    return last.figures;
  };

  // Each gauge: its rows of the last figures, as label values and a count.
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    rows: (figures: Figures) => Array<{ labels: Record<string, string>; count: number }>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      // Every control process reads the same figures: several processes' are one fleet, not a sum.
      aggregator: "max",
      async collect() {
        const current = rows(await figures());
        this.reset();
        for (const { labels, count } of current) this.set(labels, count);
      },
    });
  const ofRollout = (list: Figures["rolloutNodes"]) =>
    list.map(({ rollout, group, status, count }) => ({ labels: { rollout, group, status }, count }));

  gauge(
    "softfleet_nodes",
    "Enrolled nodes (not revoked), by status and image version (IMAGE_VERSION; none when unknown).",
    ["status", "image_version"],
    (f) =>
      bounded(f.nodes, "image").map(({ status, image, count }) => ({
        labels: { status, image_version: image },
        count,
      })),
  );
  gauge(
    "softfleet_group_nodes",
    "Each node group's nodes (members and label matches), by status.",
    ["group", "status"],
    (f) => bounded(f.groups, "group").map(({ group, status, count }) => ({ labels: { group, status }, count })),
  );
  gauge("softfleet_rollouts", "Rollouts, by status.", ["status"], (f) =>
    f.rollouts.map(({ status, count }) => ({ labels: { status }, count })),
  );
  gauge(
    "softfleet_rollout_batches",
    "The batches of each unfinished rollout, by status (pending, running, settling, done, cancelled).",
    ["rollout", "group", "status"],
    (f) => ofRollout(f.rolloutBatches),
  );
  gauge(
    "softfleet_rollout_nodes",
    "The nodes of each unfinished rollout, by their status in it (its progress).",
    ["rollout", "group", "status"],
    (f) => ofRollout(f.rolloutNodes),
  );
  gauge(
    "softfleet_db_connections",
    "Connections to softfleet's database as PostgreSQL counts them (pg_stat_activity, this role's): by application and state (active, idle, idle in transaction...). All processes' pools together.",
    ["application", "state"],
    (f) => f.connections.map(({ application, state, count }) => ({ labels: { application, state }, count })),
  );
}

/**
 * Rows of at most MAX_SERIES values of their `label` (those with the most
 * nodes); the others' counts summed under "other", per status.
 */
export function bounded<Label extends string, Row extends { count: number; status: string } & Record<Label, string>>(
  rows: readonly Row[],
  label: Label,
): Row[] {
  const totals = new Map<string, number>();
  for (const row of rows) totals.set(row[label], (totals.get(row[label]) ?? 0) + row.count);
  if (totals.size <= MAX_SERIES) return [...rows];
  const kept = new Set(
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_SERIES - 1)
      .map(([value]) => value),
  );
  const out: Row[] = [];
  const other = new Map<string, Row>();
  for (const row of rows) {
    if (kept.has(row[label])) out.push(row);
    else {
      const sum = other.get(row.status);
      if (sum) sum.count += row.count;
      else other.set(row.status, { ...row, [label]: "other" });
    }
  }
  return [...out, ...other.values()];
}

async function read(db: Db): Promise<Figures> {
  const unfinished = [...unfinishedRolloutStatuses];
  const [nodes, groups, rollouts, rolloutNodes, rolloutBatches, connections] = await Promise.all([
    db.$queryRaw<Figures["nodes"]>`
      SELECT status::text AS status, COALESCE("imageVersion", 'none') AS image, count(*)::int AS count
      FROM "Node" WHERE "revokedAt" IS NULL GROUP BY 1, 2`,
    db.$queryRaw<Figures["groups"]>`
      SELECT gn."groupName" AS "group", n.status::text AS status, count(*)::int AS count
      FROM (${groupNodesSql()}) gn JOIN "Node" n ON n.id = gn."nodeId" AND n."revokedAt" IS NULL
      GROUP BY 1, 2`,
    db.$queryRaw<Figures["rollouts"]>`SELECT status, count(*)::int AS count FROM "Rollout" GROUP BY 1`,
    db.$queryRaw<Figures["rolloutNodes"]>`
      SELECT r.id AS rollout, r."groupName" AS "group", rn.status, count(*)::int AS count
      FROM "Rollout" r JOIN "RolloutNode" rn ON rn."rolloutId" = r.id
      WHERE r.status = ANY(${unfinished}::text[])
      GROUP BY 1, 2, 3`,
    db.$queryRaw<Figures["rolloutBatches"]>`
      SELECT r.id AS rollout, r."groupName" AS "group", b.status, count(*)::int AS count
      FROM "Rollout" r JOIN "RolloutBatch" b ON b."rolloutId" = r.id
      WHERE r.status = ANY(${unfinished}::text[])
      GROUP BY 1, 2, 3`,
    // Application names are few (Prisma's, the gateway's lanes, the engine's); capped all the same.
    db.$queryRaw<Figures["connections"]>`
      SELECT left(COALESCE(NULLIF(application_name, ''), 'unnamed'), 64) AS application,
        COALESCE(state, 'unknown') AS state, count(*)::int AS count
      FROM pg_stat_activity
      WHERE datname = current_database() AND usename = current_user
      GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 50`,
  ]);
  return { nodes, groups, rollouts, rolloutNodes, rolloutBatches, connections };
}
