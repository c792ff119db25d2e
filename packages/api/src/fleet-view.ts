/**
 * The fleet page's view, shared by the server (which computes it) and the
 * browser (which shows it and applies its deltas): the query a URL carries,
 * one row's shape, the counts, and the delta a live subscription sends. Plain
 * data and zod only: the browser bundle imports this module.
 */
import { z } from "zod";
import { pageFields } from "./paging";

export const FLEET_STATUSES = ["online", "offline", "rebooting", "unknown", "revoked"] as const;
export const FLEET_SORTS = ["hostname", "status", "image", "softReboots", "lastSeen"] as const;
export const FLEET_PAGE_SIZES = [25, 50, 100, 200] as const;

export const text = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((s) => !/\p{Cc}/u.test(s), `${what} must not contain control characters`);

/** A part of a hostname to look for. */
export const hostnameSearch = text("the hostname search", 128);

/** What the fleet page shows: its filters, its order and its page. Every field is optional in a URL. */
export const fleetQuery = z.object({
  /** "rebooting" is "rebooting now"; "revoked" are nodes whose credential was revoked (whatever their status). */
  status: z.enum(FLEET_STATUSES).optional(),
  group: z.string().min(1).max(64).optional(),
  /** key=value, as on the node's label chips. */
  label: text("the label", 200)
    .refine((s) => /^[^=]+=.*$/.test(s), "the label must be key=value")
    .optional(),
  /** The running image version; "none" for nodes that report none. */
  image: text("the image version", 128).optional(),
  /** A part of the hostname. */
  q: hostnameSearch.optional(),
  sort: z.enum(FLEET_SORTS).default("hostname"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  ...pageFields(FLEET_PAGE_SIZES, 50),
});
export type FleetQuery = z.infer<typeof fleetQuery>;
export type FleetQueryInput = z.input<typeof fleetQuery>;

/** One node as a fleet row shows it, and nothing more. */
export interface FleetRow {
  id: string;
  hostname: string;
  simulated: boolean;
  revoked: boolean;
  status: "online" | "offline" | "rebooting" | "unknown";
  imageVersion: string | null;
  nextrootStaged: boolean;
  nextrootImageVersion: string | null;
  softRebootsCount: number | null;
  lastSeenAt: string | null;
  /** String keys and values only (anything else the stored JSON holds is shown as its JSON). */
  labels: Array<[string, string]>;
  groups: Array<{ id: string; name: string }>;
  /** The last reboot's kind and downtime, computed on the server; null when none is recorded. */
  lastReboot: {
    kind: string;
    beforeLost: boolean;
    phases: { totalMs: number | null };
  } | null;
}

/** The fleet's counts by status (revoked apart), the staged ones, and how many match the query. */
export interface FleetCounts {
  total: number;
  online: number;
  offline: number;
  rebooting: number;
  unknown: number;
  revoked: number;
  staged: number;
  matching: number;
  /** The running image versions, most common first (at most 50), for the image filter. */
  images: Array<{ version: string | null; count: number }>;
}

export interface FleetPage {
  rows: FleetRow[];
  counts: FleetCounts;
}

/**
 * What changed on a subscribed page since the last message: rows whose
 * content changed (or that entered the page), the page's order when it is not
 * the same ids in the same order, and the counts when they moved.
 */
export interface FleetDelta {
  rows: FleetRow[];
  order: string[] | null;
  counts: FleetCounts | null;
}

export type FleetMessage = { kind: "snapshot"; page: FleetPage } | { kind: "delta"; delta: FleetDelta };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The delta from one computed page to the next, or null when nothing the page shows changed. */
export function fleetDelta(before: FleetPage, after: FleetPage): FleetDelta | null {
  const old = new Map(before.rows.map((row) => [row.id, row]));
  const rows = after.rows.filter((row) => {
    const was = old.get(row.id);
    return !was || !sameJson(was, row);
  });
  const sameOrder =
    before.rows.length === after.rows.length && before.rows.every((row, i) => row.id === after.rows[i]!.id);
  const counts = sameJson(before.counts, after.counts) ? null : after.counts;
  if (rows.length === 0 && sameOrder && counts === null) return null;
  return { rows, order: sameOrder ? null : after.rows.map((row) => row.id), counts };
}

/** A page with a delta applied: what the server computed, rebuilt in the browser. */
export function applyFleetDelta(page: FleetPage, delta: FleetDelta): FleetPage {
  const byId = new Map(page.rows.map((row) => [row.id, row]));
  for (const row of delta.rows) byId.set(row.id, row);
  const order = delta.order ?? page.rows.map((row) => row.id);
  return {
    rows: order.flatMap((id) => {
      const row = byId.get(id);
      return row ? [row] : [];
    }),
    counts: delta.counts ?? page.counts,
  };
}

/** The query as URL search parameters, defaults left out (a clean URL for the default view). */
export function fleetQueryToSearch(query: FleetQuery): URLSearchParams {
  const params = new URLSearchParams();
  const defaults = fleetQuery.parse({});
  for (const key of ["status", "group", "label", "image", "q", "sort", "dir", "page", "pageSize"] as const) {
    const value = query[key];
    if (value === undefined || value === defaults[key]) continue;
    params.set(key, String(value));
  }
  return params;
}

/**
 * The query a URL asks for. A parameter that is not valid is dropped (with
 * the reason, for the page to say), so a hand-edited link still opens.
 */
export function fleetQueryFromSearch(search: URLSearchParams): { query: FleetQuery; dropped: string[] } {
  const raw: Record<string, unknown> = {};
  for (const key of ["status", "group", "label", "image", "q", "sort", "dir"] as const) {
    const value = search.get(key);
    if (value !== null) raw[key] = value;
  }
  for (const key of ["page", "pageSize"] as const) {
    const value = search.get(key);
    if (value !== null) raw[key] = /^\d{1,6}$/.test(value) ? Number(value) : value;
  }
  const dropped: string[] = [];
  for (;;) {
    const parsed = fleetQuery.safeParse(raw);
    if (parsed.success) return { query: parsed.data, dropped };
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    dropped.push(`${key}: ${issue.message}`);
    if (!(key in raw)) return { query: fleetQuery.parse({}), dropped };
    delete raw[key];
  }
}
