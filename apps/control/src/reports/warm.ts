import type { Db } from "@softfleet/db";
import { keepFleetReportFacts, lastDaysRange, trendBucketOf } from "@softfleet/fleet";

/** The range the report page opens on: the last 90 days (apps/web/src/app/(app)/reports/range.ts). */
const DEFAULT_REPORT_DAYS = 90;
/** The whole fleet's ranges the report page offers in one click (REPORT_PRESETS there), the default first. */
const FLEET_REPORT_DAYS = [DEFAULT_REPORT_DAYS, 30, 366];
const EVERY_MS = 15 * 60_000;
/** Groups whose default report a round keeps ready, at most (by name); others compute theirs when first opened. */
export const WARMED_GROUPS = 100;

/**
 * Keeps the report page's ranges' settled days and spans ready: the whole
 * fleet's last 90, 30 and 366 days (the page's presets), then each group's
 * default 90 days (by name, up to WARMED_GROUPS), so that the first person to
 * open a report each day does not wait for them: at start, then every 15
 * minutes (a day settles an hour after it ends; when all is kept, a round is a
 * few lookups per range and group). A group whose nodes changed is kept again
 * under its new fingerprint.
 */
export function startReportWarmer(db: Db, log: (message: string) => void, everyMs = EVERY_MS) {
  let round: Promise<void> = Promise.resolve();
  let closed = false;
  const fleet = async () => {
    for (const days of FLEET_REPORT_DAYS) {
      if (closed) return;
      const started = performance.now();
      const range = lastDaysRange(days);
      const kept = await keepFleetReportFacts(db, range);
      if (kept.buckets > 0 || kept.span) {
        const unit = trendBucketOf(range) === "week" ? "weeks" : "days";
        const what = [kept.buckets > 0 && `${kept.buckets} settled ${unit}`, kept.span && "their span"].filter(Boolean);
        log(
          `reports: kept ${what.join(" and ")} of the last ${days} days in ${Math.round(performance.now() - started)} ms`,
        );
      }
    }
  };
  const groups = async () => {
    const started = performance.now();
    const all = await db.nodeGroup.findMany({ select: { id: true }, orderBy: { name: "asc" }, take: WARMED_GROUPS });
    let warmed = 0;
    for (const group of all) {
      if (closed) return;
      const kept = await keepFleetReportFacts(db, { ...lastDaysRange(DEFAULT_REPORT_DAYS), groupId: group.id });
      if (kept.buckets > 0 || kept.span) warmed++;
    }
    if (warmed > 0) {
      log(
        `reports: kept the last ${DEFAULT_REPORT_DAYS} days of ${warmed} ${warmed === 1 ? "group" : "groups"} in ${Math.round(performance.now() - started)} ms`,
      );
    }
  };
  const warm = () => {
    round = round.then(async () => {
      for (const [what, step] of [
        ["the ", fleet],
        ["the groups' ", groups],
      ] as const) {
        if (closed) return;
        try {
          await step();
        } catch (error) {
          if (!closed)
            log(
              `reports: could not keep ${what}last ${DEFAULT_REPORT_DAYS} days' settled figures: ${(error as Error).message}`,
            );
        }
      }
    });
  };
  warm();
  const timer = setInterval(warm, everyMs);
  timer.unref();
  return {
    /** Stops the rounds; resolves when the one running (if any) is over. */
    async close() {
      closed = true;
      clearInterval(timer);
      await round;
    },
  };
}
