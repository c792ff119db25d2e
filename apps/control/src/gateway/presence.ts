import type { Db } from "@softfleet/db";
import { recordPresence } from "@softfleet/fleet";

export interface PresenceOptions {
  /** How often the heartbeats gathered meanwhile are written, in one statement. */
  intervalMs: number;
  log: (line: string) => void;
}

/**
 * Heartbeats are kept in memory, one entry per node (the latest), and written
 * for all nodes at once every interval: a fleet's heartbeats cost one
 * statement per interval, not a transaction each. A write that fails keeps
 * its entries for the next one (a newer heartbeat of the same node wins), so
 * a database outage loses nothing and holds at most one entry per node.
 * close() writes what is left.
 */
export class PresenceWriter {
  private pending = new Map<string, Date>();
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly options: PresenceOptions,
  ) {}

  start() {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** A heartbeat of this node arrived now. */
  seen(nodeId: string, at = new Date()) {
    this.pending.set(nodeId, at);
  }

  /** Nodes whose heartbeats wait to be written. */
  get size() {
    return this.pending.size;
  }

  /** Writes the heartbeats gathered so far (after any write under way). */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeOnce());
    return this.writing;
  }

  async close() {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writeOnce() {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.db.$transaction((tx) => recordPresence(tx, batch));
    } catch (error) {
      for (const [nodeId, at] of batch) if (!this.pending.has(nodeId)) this.pending.set(nodeId, at);
      this.options.log(
        `writing ${batch.size} nodes' heartbeats failed (kept for the next write): ${(error as Error).message}`,
      );
    }
  }
}
