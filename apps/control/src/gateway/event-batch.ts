import type { IncomingEvent } from "@softfleet/fleet";

/** Events per statement at most: a statement's JSON stays under a megabyte (about 0.6 MB of command answers). */
export const MAX_BATCH = 2000;

interface Waiting extends IncomingEvent {
  resolve(stored: boolean): void;
  reject(error: Error): void;
}

/**
 * Group commit for agents' events. Each connection hands its event over and
 * waits (it acks only once the event is durable); while batches are being
 * written, the events that arrive meanwhile gather into the next, so a busy
 * fleet's events cost one statement per round trip instead of one each, and
 * a quiet one's go at once. Up to `parallel` batches are written at once
 * (each on a database connection of its own: one statement uses one core of
 * the database). A node has at most one event being written at a time, in
 * whichever batch: a node's later event waits until its earlier one is
 * stored. The order of a node's events holds, and no two of them meet in one
 * statement or in two running together.
 *
 * When a batch fails as a whole, each of its events is stored alone (`one`):
 * an event the database cannot take fails alone, with its own error, and
 * never holds the others back.
 */
export class EventBatch {
  /** Each node's waiting events, oldest first. */
  private readonly queues = new Map<string, Waiting[]>();
  /** Nodes with waiting events and none being written, in the order their turn came (from `head` on). */
  private ready: string[] = [];
  private head = 0;
  private waiting = 0;
  private writing = 0;
  /** Nodes with an event in a batch being written. */
  private readonly busy = new Set<string>();
  private closed = false;

  constructor(
    private readonly many: (events: readonly IncomingEvent[]) => Promise<boolean[]>,
    private readonly one: (event: IncomingEvent) => Promise<boolean>,
    private readonly maxBatch = MAX_BATCH,
    private readonly parallel = 1,
  ) {}

  /** Resolves once the event is durable: true if stored now, false if it was stored before. */
  store(event: IncomingEvent): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error("the event writer is closed"));
    return new Promise<boolean>((resolve, reject) => {
      const item = { ...event, resolve, reject };
      const queue = this.queues.get(event.nodeId);
      if (queue) queue.push(item);
      else {
        this.queues.set(event.nodeId, [item]);
        if (!this.busy.has(event.nodeId)) this.ready.push(event.nodeId);
      }
      this.waiting += 1;
      this.pump();
    });
  }

  /** Events waiting to be written (for the benchmark and the tests). */
  get backlog(): number {
    return this.waiting;
  }

  /** Starts batches while fewer than `parallel` are being written and nodes not busy have events waiting. */
  private pump() {
    while (this.writing < this.parallel && this.head < this.ready.length) {
      const batch = this.take();
      this.writing += 1;
      void this.writeBatch(batch).finally(() => {
        this.writing -= 1;
        for (const { nodeId } of batch) {
          this.busy.delete(nodeId);
          // Its next event, if any, takes its turn behind the nodes already waiting.
          if (this.queues.has(nodeId)) this.ready.push(nodeId);
        }
        this.pump();
      });
    }
  }

  /** The next batch: the first event of each of the next ready nodes, at most maxBatch; in time, not in backlog. */
  private take(): Waiting[] {
    const end = Math.min(this.ready.length, this.head + this.maxBatch);
    const batch: Waiting[] = [];
    for (let i = this.head; i < end; i++) {
      const nodeId = this.ready[i]!;
      const queue = this.queues.get(nodeId)!;
      batch.push(queue.shift()!);
      if (queue.length === 0) this.queues.delete(nodeId);
      this.busy.add(nodeId);
    }
    this.head = end;
    this.waiting -= batch.length;
    // The consumed part of the turn list goes once it is most of it (amortised: no copy per batch).
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
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
