import type { Db, Prisma, ReportsDb } from "@softfleet/db";
import { fleetReport, fleetReportRows, nodeHistory, rolloutReport, whyNoTotal } from "@softfleet/fleet";
import { z } from "zod";
import { notFound } from "../errors";
import { id } from "../schemas";
import { router, viewerProcedure } from "../trpc";

const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** A time range of at most 366 days, optionally one group's nodes. */
export const reportRange = z
  .object({
    from: z.coerce.date({ error: "must be a date" }),
    to: z.coerce.date({ error: "must be a date" }),
    groupId: id.nullish(),
  })
  .refine((range) => range.to > range.from, { path: ["to"], message: "must be after the start of the range" })
  .refine((range) => range.to.getTime() - range.from.getTime() <= MAX_RANGE_DAYS * DAY_MS, {
    path: ["to"],
    message: `the range must be at most ${MAX_RANGE_DAYS} days`,
  });

/**
 * Reads of one consistent snapshot, never a mix of two engine steps. A report
 * over a large fleet may take seconds: Prisma's default 5 s limit on an
 * interactive transaction would turn it into an error, so it gets a minute.
 */
const snapshot = <T>(db: Db, read: (tx: Prisma.TransactionClient) => Promise<T>) =>
  db.$transaction(read, { isolationLevel: "RepeatableRead", timeout: 60_000 });

/** Where reports read: the replica when configured (Context.reports), else the primary. */
const source = (ctx: { db: Db; reports?: ReportsDb }): ReportsDb => ctx.reports ?? { db: ctx.db, replica: false };

export const reportsRouter = router({
  /** A rollout's downtime: nodes, phase percentiles overall and per batch, services, image versions. */
  rollout: viewerProcedure.input(z.object({ id })).query(async ({ ctx, input }) => {
    const report = await snapshot(source(ctx).db, (tx) => rolloutReport(tx, input.id));
    if (!report) throw notFound(`Rollout ${input.id}`);
    return report;
  }),

  /** The fleet's (or a group's) downtime over a time range (one snapshot: the report opens its transactions). */
  fleet: viewerProcedure.input(reportRange).query(({ ctx, input }) => {
    const { db, replica } = source(ctx);
    // A replica is read-only: the report uses what the primary kept, and keeps nothing itself.
    return fleetReport(db, input, { keepFacts: !replica });
  }),

  /** The reboots behind the fleet report, a page at a time (for exports). */
  fleetRows: viewerProcedure
    .input(
      z.object({
        range: reportRange,
        after: z.string().max(200).nullish(),
        limit: z.number().int().min(1).max(5000).default(1000),
      }),
    )
    .query(async ({ ctx, input }) => {
      const page = await fleetReportRows(source(ctx).db, input.range, { after: input.after, limit: input.limit });
      // Each row says why it has no total, as the rollout and node exports do (never an empty cell read as 0).
      return { ...page, rows: page.rows.map((row) => ({ ...row, missingTotal: whyNoTotal(row) })) };
    }),

  /** Every reboot of one node, with its phases. */
  node: viewerProcedure.input(z.object({ nodeId: id })).query(async ({ ctx, input }) => {
    const history = await nodeHistory(source(ctx).db, input.nodeId);
    if (!history) throw notFound(`Node ${input.nodeId}`);
    return history;
  }),
});
