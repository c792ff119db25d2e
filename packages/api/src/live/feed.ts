import { EventEmitter } from "node:events";
import { parseDatabaseUrl } from "@softfleet/db";
import { CHANGES_CHANNEL, type Change, changeSchema, parseNotification } from "@softfleet/fleet";
import pg from "pg";

/**
 * Changes from every process (control's gateway, other web processes) arrive
 * through Postgres NOTIFY; one LISTEN connection per process fans them out to
 * its browsers' subscriptions. When that connection is lost (a database
 * restart), every open stream ends, since changes in the gap are gone: the
 * browsers subscribe again and refetch what they show. The LISTEN comes back
 * by itself, and a start that failed is tried again.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private starting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: (line: string) => void = (line) => console.error(`[web] ${line}`),
  ) {
    this.emitter.setMaxListeners(0);
  }

  private start(): Promise<void> {
    this.starting ??= this.connect().catch((error: Error) => {
      // The next subscription (or the retry) tries again; this one fails now.
      this.starting = undefined;
      this.scheduleRetry();
      throw error;
    });
    return this.starting;
  }

  private async connect() {
    const client = new pg.Client({ ...parseDatabaseUrl(this.databaseUrl), application_name: "softfleet-web live" });
    client.on("notification", (message) => {
      if (message.channel !== CHANGES_CHANNEL || !message.payload) return;
      // The database may carry anything on the channel: only well-formed changes reach browsers.
      const parsed = parseNotification(changeSchema, message.payload);
      if (parsed.ok) this.emitter.emit("change", parsed.value);
    });
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.log(`live feed: LISTEN lost (${reason}); ending open streams and reconnecting`);
      this.client = undefined;
      this.starting = undefined;
      client.end().catch(() => {});
      this.emitter.emit("interrupted");
      this.scheduleRetry();
    };
    client.on("error", (error) => lost(error.message));
    client.on("end", () => lost("the connection ended"));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private scheduleRetry() {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start().catch((error: Error) => this.log(`live feed: LISTEN failed: ${error.message}`));
    }, 1_000);
    this.retry.unref();
  }

  /**
   * Calls `onChange` for every change from now on, and `onInterrupted` once if
   * the LISTEN is lost (changes in the gap are gone: the subscriber must end,
   * and its browser subscribe again and resync). Resolves once the LISTEN is
   * up, with the function that ends the subscription. Nothing is queued here:
   * each subscriber keeps what it needs, bounded (see liveStream).
   */
  async subscribe(onChange: (change: Change) => void, onInterrupted: () => void): Promise<() => void> {
    await this.start();
    const listener = (change: Change) => onChange(change);
    this.emitter.on("change", listener);
    this.emitter.once("interrupted", onInterrupted);
    return () => {
      this.emitter.off("change", listener);
      this.emitter.off("interrupted", onInterrupted);
    };
  }

  /** Subscriptions open in this process (each is one browser page's stream). */
  get subscribers(): number {
    return this.emitter.listenerCount("change");
  }

  async close() {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
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
