import type { IncomingEvent } from "@softfleet/fleet";

/** Events per statement at most: a statement's JSON stays under a megabyte (about 0.6 MB of command answers). */
export const MAX_BATCH = 2000;

interface Waiting extends IncomingEvent {
  resolve(stored: boolean): void;
  reject(error: Error): void;
}

/**
 * Group commit for agents' events. Each connection hands its event over and
 * waits (it acks only once the event is durable); while one batch is being
 * written, the events that arrive meanwhile gather into the next, so a busy
 * fleet's events cost one statement per round trip instead of one each, and
 * a quiet one's go at once. A batch holds at most one event per node (a
 * node's later event waits for the next batch): the order of a node's events
 * holds, and no two of them meet in one statement.
 *
 * When a batch fails as a whole, each of its events is stored alone (`one`):
 * an event the database cannot take fails alone, with its own error, and
 * never holds the others back.
 */
export class EventBatch {
  private waiting: Waiting[] = [];
  private writing = false;
  private closed = false;

  constructor(
    private readonly many: (events: readonly IncomingEvent[]) => Promise<boolean[]>,
    private readonly one: (event: IncomingEvent) => Promise<boolean>,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  /** Resolves once the event is durable: true if stored now, false if it was stored before. */
  store(event: IncomingEvent): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error("the event writer is closed"));
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ ...event, resolve, reject });
      if (!this.writing) void this.write();
    });
  }

  /** Events waiting to be written (for the benchmark and the tests). */
  get backlog(): number {
    return this.waiting.length;
  }

  private async write() {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.take();
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  /** The next batch: the oldest waiting events, one per node, the rest left in order for later. */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const nodes = new Set<string>();
    for (const item of this.waiting) {
      if (batch.length < this.maxBatch && !nodes.has(item.nodeId)) {
        nodes.add(item.nodeId);
        batch.push(item);
      } else rest.push(item);
    }
    this.waiting = rest;
    return batch;
  }

  private async writeBatch(batch: Waiting[]) {
    try {
      const stored = await this.many(batch);
      for (const [i, item] of batch.entries()) item.resolve(stored[i]!);
    } catch {
      // One bad event must not fail its neighbours: each alone, with its own outcome.
      await Promise.all(batch.map((item) => this.one(item).then(item.resolve, (error: Error) => item.reject(error))));
    }
  }

  /** Refuses new events; those already handed over are still written. */
  close() {
    this.closed = true;
  }
}
