import { Prisma } from "@softfleet/db";

/**
 * SQL fragments shared by the reports. A reboot's phases (ms) and its type are
 * columns of RebootRecord that Postgres computes itself (STORED generated
 * columns, migration 20261127030000_report_facts) exactly as phases.ts's
 * phaseDurations does in TypeScript: a phase is null when either end is
 * unknown or the clock went backwards, and after a full reboot only the new
 * boot's points compare. They are also in the covering index on recordedAt,
 * so range reports read them without touching the wide rows.
 */

export type Sql = Pick<Prisma.TransactionClient, "$queryRaw">;

export const PHASES = ["signalToShutdownMs", "shutdownMs", "bootMs", "reconnectMs", "totalMs"] as const;
export type Phase = (typeof PHASES)[number];

/** soft-reboot, full-reboot, or kexec (a full reboot that logind announced as kexec). */
export const REBOOT_TYPES = ["soft-reboot", "full-reboot", "kexec"] as const;
export type RebootType = (typeof REBOOT_TYPES)[number];

/** The phase columns (and rebootType) of a RebootRecord aliased `r`, in ms. */
export const phaseColumns = Prisma.raw([...PHASES, "rebootType"].map((column) => `r."${column}"`).join(", "));

export interface PhaseStat {
  /** How many reboots had this phase measured. */
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}
export type PhaseStats = Record<Phase, PhaseStat>;

/**
 * Aggregate columns over rows carrying the phase columns: per phase the count
 * of known values, p50 and p95 (percentile_cont: linear interpolation) and max.
 */
const statColumnsOf = (phases: readonly Phase[]) =>
  Prisma.raw(
    phases
      .map(
        (p) => `count("${p}")::int AS "${p}:n",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY "${p}") AS "${p}:p50",
      percentile_cont(0.95) WITHIN GROUP (ORDER BY "${p}") AS "${p}:p95",
      max("${p}") AS "${p}:max"`,
      )
      .join(",\n"),
  );
export const statColumns = statColumnsOf(PHASES);
export type TotalRow = Record<`totalMs:${"n" | "p50" | "p95" | "max"}`, number | null>;

/** The total's statColumns of a row (breakdowns by image version or group show the total only). */
export function totalStatOf(row: TotalRow): PhaseStat {
  return { n: row["totalMs:n"] ?? 0, p50: row["totalMs:p50"], p95: row["totalMs:p95"], max: row["totalMs:max"] };
}

/**
 * The non-null values of `column` in a group as an ascending array, for
 * arrayStatColumns: array_agg groups by hashing, where an ordered-set
 * aggregate sorts every row by the group's key first (migration
 * 20261127050000_report_arrays).
 */
export const sortedValues = (column: string) =>
  Prisma.raw(`softfleet_sorted(array_agg(${column}) FILTER (WHERE ${column} IS NOT NULL))`);

/**
 * The statColumns of `name` from an ascending array of its values (sortedValues):
 * the count, p50 and p95 (softfleet_percentile: percentile_cont's arithmetic) and max.
 */
export const arrayStatColumns = (array: string, name: string) =>
  Prisma.raw(`COALESCE(cardinality(${array}), 0) AS "${name}:n",
    softfleet_percentile(${array}, 0.5) AS "${name}:p50",
    softfleet_percentile(${array}, 0.95) AS "${name}:p95",
    ${array}[cardinality(${array})] AS "${name}:max"`);

export type StatRow = Record<`${Phase}:${"n" | "p50" | "p95" | "max"}`, number | null>;

/** The statColumns of a row as one object per phase. */
export function phaseStatsOf(row: StatRow): PhaseStats {
  const stats = {} as PhaseStats;
  for (const phase of PHASES) {
    stats[phase] = {
      n: row[`${phase}:n`] ?? 0,
      p50: row[`${phase}:p50`],
      p95: row[`${phase}:p95`],
      max: row[`${phase}:max`],
    };
  }
  return stats;
}

/** Drops the statColumns from a row, keeping its other columns. */
export function withoutStats<T extends object>(row: T): Omit<T, keyof StatRow> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !key.includes(":"))) as Omit<T, keyof StatRow>;
}

/** Columns of one reboot with its phases, as the report rows and exports show it. */
export interface RebootRow {
  recordId: string;
  nodeId: string;
  hostname: string;
  simulated: boolean;
  recordedAt: Date;
  rebootType: RebootType;
  kind: string;
  requested: string | null;
  escalated: boolean;
  beforeLost: boolean;
  trigger: string;
  imageVersionBefore: string | null;
  imageVersionAfter: string | null;
  signalToShutdownMs: number | null;
  shutdownMs: number | null;
  bootMs: number | null;
  reconnectMs: number | null;
  totalMs: number | null;
}

/** A step for a histogram of values up to `max` in about `buckets` buckets: 1, 2 or 5 times a power of ten. */
export function niceStep(max: number, buckets = 12): number {
  if (!(max > 0)) return 1;
  const raw = max / buckets;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/**
 * niceStep in SQL, for a report that computes its maximum and histogram in one
 * statement: the same float8 arithmetic (log10, a power of ten, 1/2/5/10 times
 * it), so both give the same step (a test compares them).
 */
export function niceStepSql(max: Prisma.Sql, buckets = 12): Prisma.Sql {
  const raw = Prisma.sql`(${max} / ${buckets}::float8)`;
  const power = Prisma.sql`power(10::float8, floor(log(${raw})))`;
  return Prisma.sql`CASE WHEN ${max} > 0 THEN (
    SELECT COALESCE(min(nice.k * ${power}) FILTER (WHERE nice.k * ${power} >= ${raw}), 10 * ${power})
    FROM unnest(ARRAY[1, 2, 5, 10]::float8[]) AS nice(k)) ELSE 1 END`;
}

export interface HistogramBucket {
  rebootType: RebootType;
  fromMs: number;
  toMs: number;
  count: number;
}
