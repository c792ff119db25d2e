import { EventEmitter, on } from "node:events";
import { parseDatabaseUrl } from "@softfleet/db";
import { CHANGES_CHANNEL, type Change, changeSchema, parseNotification } from "@softfleet/fleet";
import pg from "pg";

/**
 * Changes from every process (control's gateway, other web processes) arrive
 * through Postgres NOTIFY; one LISTEN connection per process fans them out to
 * its browsers' subscriptions.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly databaseUrl: string) {
    this.emitter.setMaxListeners(0);
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      const client = new pg.Client(parseDatabaseUrl(this.databaseUrl));
      client.on("notification", (message) => {
        if (message.channel !== CHANGES_CHANNEL || !message.payload) return;
        // The database may carry anything on the channel: only well-formed changes reach browsers.
        const parsed = parseNotification(changeSchema, message.payload);
        if (parsed.ok) this.emitter.emit("change", parsed.value);
      });
      client.on("error", () => {
        // Reconnect on the next subscription; live views fall back to their own refetching.
        this.client = undefined;
        this.starting = undefined;
        client.end().catch(() => {});
      });
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      this.client = client;
    })();
    return this.starting;
  }

  /** Yields every change until the signal aborts (the browser went away). */
  async *changes(signal: AbortSignal | undefined): AsyncGenerator<Change> {
    await this.start();
    for await (const [change] of on(this.emitter, "change", { signal })) yield change as Change;
  }

  async close() {
    this.closed = true;
    await this.client?.end().catch(() => {});
  }

  get isClosed() {
    return this.closed;
  }
}

const holder = globalThis as typeof globalThis & { __softfleetChangeFeed?: ChangeFeed };

/** The process's one feed, on DATABASE_URL. */
export function processChangeFeed(): ChangeFeed {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  holder.__softfleetChangeFeed ??= new ChangeFeed(url);
  return holder.__softfleetChangeFeed;
}
