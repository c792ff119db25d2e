import type { Db } from "@softfleet/db";
import { keepFleetReportFacts, lastDaysRange } from "@softfleet/fleet";

/** The range the report page opens on: the last 90 days (apps/web/src/app/(app)/reports/range.ts). */
const DEFAULT_REPORT_DAYS = 90;
const EVERY_MS = 15 * 60_000;

/**
 * Keeps the default fleet report's settled days and span ready, so that the
 * first person to open the report each day does not wait for them: at start,
 * then every 15 minutes (a day settles an hour after it ends; when all is kept,
 * a round is two lookups).
 */
export function startReportWarmer(db: Db, log: (message: string) => void, everyMs = EVERY_MS) {
  let round: Promise<void> = Promise.resolve();
  let closed = false;
  const warm = () => {
    round = round.then(async () => {
      if (closed) return;
      const started = performance.now();
      try {
        const kept = await keepFleetReportFacts(db, lastDaysRange(DEFAULT_REPORT_DAYS));
        if (kept.buckets > 0 || kept.span) {
          const what = [kept.buckets > 0 && `${kept.buckets} settled days`, kept.span && "their span"].filter(Boolean);
          log(
            `reports: kept ${what.join(" and ")} of the last ${DEFAULT_REPORT_DAYS} days in ${Math.round(performance.now() - started)} ms`,
          );
        }
      } catch (error) {
        if (!closed)
          log(
            `reports: could not keep the last ${DEFAULT_REPORT_DAYS} days' settled figures: ${(error as Error).message}`,
          );
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
