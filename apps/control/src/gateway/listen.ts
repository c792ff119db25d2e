import { parseDatabaseUrl } from "@softfleet/db";
import { parseNotification } from "@softfleet/fleet";
import pg from "pg";
import type { z } from "zod";

export interface ListenOptions<T> {
  /** What a payload must be: anything else (the database may send anything) is logged and dropped. */
  schema: z.ZodType<T>;
  onMessage: (message: T) => void;
  /** After each LISTEN took effect, the first one included: what was sent in a gap is lost. */
  onListening?: () => void;
  log: (line: string) => void;
}

/**
 * LISTENs on a Postgres channel with a connection of its own, reconnecting
 * after errors (a restarted database must not silence the process). Neither a
 * malformed payload nor a throwing handler can end the process.
 */
export async function listen<T>(databaseUrl: string, channel: string, options: ListenOptions<T>) {
  const { schema, onMessage, onListening, log } = options;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const deliver = (payload: string) => {
    const parsed = parseNotification(schema, payload);
    if (!parsed.ok) return log(`LISTEN ${channel}: ignored a payload that is not ours (${parsed.error})`);
    try {
      onMessage(parsed.value);
    } catch (error) {
      log(`LISTEN ${channel}: handling a payload failed: ${(error as Error).message}`);
    }
  };

  const connect = async () => {
    const next = new pg.Client({
      ...parseDatabaseUrl(databaseUrl),
      application_name: `softfleet-control listen ${channel}`.slice(0, 63),
    });
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload) deliver(message.payload);
    });
    next.on("error", (error) => {
      log(`LISTEN ${channel}: ${error.message}; reconnecting`);
      next.end().catch(() => {});
      schedule();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      next.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    try {
      onListening?.();
    } catch (error) {
      log(`LISTEN ${channel}: ${(error as Error).message}`);
    }
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
