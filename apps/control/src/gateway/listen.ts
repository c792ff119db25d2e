import { parseDatabaseUrl } from "@softfleet/db";
import pg from "pg";

/**
 * LISTENs on a Postgres channel with a connection of its own, reconnecting
 * after errors (a restarted database must not silence the process).
 */
export async function listen(
  databaseUrl: string,
  channel: string,
  onPayload: (payload: string) => void,
  log: (line: string) => void,
) {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client(parseDatabaseUrl(databaseUrl));
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload) onPayload(message.payload);
    });
    next.on("error", (error) => {
      log(`LISTEN ${channel}: ${error.message}; reconnecting`);
      next.end().catch(() => {});
      schedule();
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    client = next;
  };
  const schedule = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((error: Error) => {
        log(`LISTEN ${channel}: ${error.message}`);
        schedule();
      });
    }, 1000);
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
