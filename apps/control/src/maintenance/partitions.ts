import type { Db } from "@softfleet/db";
import { dropExpiredPartitions, ensurePartitions } from "@softfleet/fleet";

const EVERY_MS = 60 * 60_000;

/**
 * Keeps the months of events and reboot records: at start and every hour, the
 * months ahead are made (so that writes always find theirs) and, with a
 * retention (SOFTFLEET_RETENTION_DAYS), the months past it are dropped. A round
 * that fails (Postgres away, a lock held by a long report) is logged and tried
 * again at the next one: three months are always made ahead.
 */
export function startPartitionKeeper(
  db: Db,
  options: { retentionDays?: number; log: (message: string) => void; everyMs?: number },
) {
  const { retentionDays, log, everyMs = EVERY_MS } = options;
  let round: Promise<void> = Promise.resolve();
  let closed = false;
  const keep = () => {
    round = round.then(async () => {
      if (closed) return;
      try {
        const created = await ensurePartitions(db);
        if (created > 0) log(`partitions: made ${created} month tables ahead`);
      } catch (error) {
        if (!closed)
          log(`partitions: could not make the months ahead (trying again in an hour): ${(error as Error).message}`);
      }
      if (retentionDays === undefined || closed) return;
      try {
        const dropped = await dropExpiredPartitions(db, retentionDays);
        if (dropped.length > 0)
          log(
            `retention: dropped ${dropped.length} month tables older than ${retentionDays} days (${dropped.join(", ")})`,
          );
      } catch (error) {
        if (!closed)
          log(
            `retention: could not drop the months past ${retentionDays} days (trying again in an hour): ${(error as Error).message}`,
          );
      }
    });
  };
  keep();
  const timer = setInterval(keep, everyMs);
  timer.unref();
  return {
    /** The round running now (tests wait for it). */
    settled: () => round,
    async close() {
      closed = true;
      clearInterval(timer);
      await round;
    },
  };
}
