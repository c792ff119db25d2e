import { Prisma } from "@softfleet/db";
import { phaseDurations } from "@softfleet/fleet";
import type { Tx } from "../audit";
import type { FleetCounts, FleetPage, FleetQuery, FleetRow } from "../fleet-view";

/**
 * The fleet page at fleet scale: filtering, sorting and paging in Postgres,
 * the counts in one aggregate statement, and for the page's rows only their
 * groups and last reboot. Nothing here reads every node's row into memory.
 */
export async function readFleetPage(db: Tx, query: FleetQuery): Promise<FleetPage> {
  const [rows, counts] = await Promise.all([readFleetRows(db, query), readFleetCounts(db, query)]);
  return { rows, counts };
}

/** LIKE's own characters in a search are matched as themselves. */
export const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The query's filters as one SQL condition on "Node" n. */
export function fleetFilter(query: FleetQuery): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (query.status === "revoked") parts.push(Prisma.sql`n."revokedAt" IS NOT NULL`);
  else if (query.status) parts.push(Prisma.sql`n."revokedAt" IS NULL AND n.status = ${query.status}::"NodeStatus"`);
  if (query.group) {
    parts.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "NodeGroupMember" m WHERE m."nodeId" = n.id AND m."groupId" = ${query.group})`,
    );
  }
  if (query.label) {
    const at = query.label.indexOf("=");
    parts.push(Prisma.sql`n.labels ->> ${query.label.slice(0, at).trim()} = ${query.label.slice(at + 1).trim()}`);
  }
  if (query.image === "none") parts.push(Prisma.sql`n."imageVersion" IS NULL`);
  else if (query.image) parts.push(Prisma.sql`n."imageVersion" = ${query.image}`);
  if (query.q) parts.push(Prisma.sql`n.hostname ILIKE ${`%${likeEscaped(query.q)}%`}`);
  return parts.length === 0 ? Prisma.sql`TRUE` : Prisma.join(parts, " AND ");
}

/** Each sort's key; hostname and id break ties, so a page's order is stable between two reads. */
const ORDER: Record<FleetQuery["sort"], string> = {
  hostname: `n.hostname`,
  status: `CASE WHEN n."revokedAt" IS NOT NULL THEN 'revoked' ELSE n.status::text END`,
  image: `n."imageVersion"`,
  softReboots: `n."softRebootsCount"`,
  lastSeen: `n."lastSeenAt"`,
};

function orderBy(query: FleetQuery): Prisma.Sql {
  const dir = query.dir === "desc" ? "DESC" : "ASC";
  // Unknown values (no image, never seen) go last whichever the direction.
  const key =
    query.sort === "hostname" ? `n.hostname ${dir}` : `${ORDER[query.sort]} ${dir} NULLS LAST, n.hostname ASC`;
  return Prisma.raw(`${key}, n.id ASC`);
}

interface RowOut {
  id: string;
  hostname: string;
  simulated: boolean;
  revoked: boolean;
  status: FleetRow["status"];
  imageVersion: string | null;
  nextrootStaged: boolean;
  nextrootImageVersion: string | null;
  softRebootsCount: number | null;
  lastSeenAt: Date | null;
  labels: unknown;
  groups: Array<{ id: string; name: string }> | null;
  kind: string | null;
  beforeLost: boolean | null;
  signalUsec: bigint | null;
  shutdownStartUsec: bigint | null;
  userspaceUsec: bigint | null;
  finishUsec: bigint | null;
  agentConnectedUsec: bigint | null;
}

/** The page's rows, in order: the page is cut first, then each of its rows gets its groups and last reboot. */
export async function readFleetRows(db: Tx, query: FleetQuery): Promise<FleetRow[]> {
  const offset = (query.page - 1) * query.pageSize;
  const rows = await db.$queryRaw<RowOut[]>`
    WITH page AS (
      SELECT n.id, n.hostname, n.simulated, n."revokedAt" IS NOT NULL AS revoked, n.status::text AS status,
        n."imageVersion", n."nextrootStaged", n."nextrootImageVersion", n."softRebootsCount", n."lastSeenAt",
        n.labels, row_number() OVER () AS position
      -- Only the row's own columns are sorted: not the node's units, containers and network (large JSON).
      FROM (SELECT n.id, n.hostname, n.simulated, n."revokedAt", n.status, n."imageVersion", n."nextrootStaged",
              n."nextrootImageVersion", n."softRebootsCount", n."lastSeenAt", n.labels
            FROM "Node" n WHERE ${fleetFilter(query)} ORDER BY ${orderBy(query)}
            LIMIT ${query.pageSize} OFFSET ${offset}) n
    )
    SELECT page.*,
      (SELECT json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name)
         FROM "NodeGroupMember" m JOIN "NodeGroup" g ON g.id = m."groupId" WHERE m."nodeId" = page.id) AS groups,
      r.kind, r."beforeLost", r."signalUsec", r."shutdownStartUsec", r."userspaceUsec", r."finishUsec",
      r."agentConnectedUsec"
    FROM page
    LEFT JOIN LATERAL (
      SELECT rr.kind, rr."beforeLost", rr."signalUsec", rr."shutdownStartUsec", rr."userspaceUsec", rr."finishUsec",
        rr."agentConnectedUsec"
      FROM "RebootRecord" rr WHERE rr."nodeId" = page.id ORDER BY rr."recordedAt" DESC LIMIT 1
    ) r ON TRUE
    ORDER BY page.position`;
  return rows.map(fleetRowOf);
}

function fleetRowOf(row: RowOut): FleetRow {
  return {
    id: row.id,
    hostname: row.hostname,
    simulated: row.simulated,
    revoked: row.revoked,
    status: row.status,
    imageVersion: row.imageVersion,
    nextrootStaged: row.nextrootStaged,
    nextrootImageVersion: row.nextrootImageVersion,
    softRebootsCount: row.softRebootsCount,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    labels: labelPairs(row.labels),
    groups: row.groups ?? [],
    lastReboot:
      row.kind === null
        ? null
        : {
            kind: row.kind,
            beforeLost: row.beforeLost ?? false,
            phases: { totalMs: phaseDurations(row, row.kind).totalMs },
          },
  };
}

/** A stored labels value as key/value pairs: a value that is not a string is shown as its JSON. */
export function labelPairs(value: unknown): Array<[string, string]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).map(([key, v]) => [key, typeof v === "string" ? v : JSON.stringify(v)]);
}

/** The fleet's counts by status, the staged ones and the image versions: the same for every page. */
export async function readFleetTotals(db: Tx): Promise<Omit<FleetCounts, "matching">> {
  const [row] = await db.$queryRaw<
    Array<Omit<FleetCounts, "images" | "matching"> & { images: FleetCounts["images"] | null }>
  >`
    SELECT count(*)::int AS total,
      count(*) FILTER (WHERE n."revokedAt" IS NULL AND n.status = 'online')::int AS online,
      count(*) FILTER (WHERE n."revokedAt" IS NULL AND n.status = 'offline')::int AS offline,
      count(*) FILTER (WHERE n."revokedAt" IS NULL AND n.status = 'rebooting')::int AS rebooting,
      count(*) FILTER (WHERE n."revokedAt" IS NULL AND n.status = 'unknown')::int AS unknown,
      count(*) FILTER (WHERE n."revokedAt" IS NOT NULL)::int AS revoked,
      count(*) FILTER (WHERE n."nextrootStaged")::int AS staged,
      (SELECT json_agg(json_build_object('version', v.version, 'count', v.count) ORDER BY v.count DESC, v.version)
         FROM (SELECT "imageVersion" AS version, count(*)::int AS count FROM "Node"
               GROUP BY "imageVersion" ORDER BY count(*) DESC, "imageVersion" LIMIT 50) v) AS images
    FROM "Node" n`;
  return { ...row!, images: row!.images ?? [] };
}

/** How many nodes the query's filters match (all of them without filters). */
export async function readMatching(db: Tx, query: FleetQuery): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ matching: number }>>`
    SELECT count(*)::int AS matching FROM "Node" n WHERE ${fleetFilter(query)}`;
  return row!.matching;
}

export const isFiltered = (query: FleetQuery) =>
  query.status !== undefined ||
  query.group !== undefined ||
  query.label !== undefined ||
  query.image !== undefined ||
  query.q !== undefined;

/** The counts the page shows: the fleet's totals, and how many match its filters. */
export async function readFleetCounts(db: Tx, query: FleetQuery): Promise<FleetCounts> {
  const [totals, matching] = await Promise.all([
    readFleetTotals(db),
    isFiltered(query) ? readMatching(db, query) : null,
  ]);
  return { ...totals, matching: matching ?? totals.total };
}
