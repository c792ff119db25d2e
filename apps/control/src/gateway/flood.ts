/**
 * Flood control for one agent connection and per node. A real agent sends a
 * heartbeat every few seconds, a state when something changes and, after a
 * reconnect, the events it spooled: the limits leave room for a large replay
 * and cut off only what no agent does.
 */
export interface FloodLimits {
  /** Frames per second a connection may keep up, and the burst it may send at once (a spool replay). */
  framesPerSec: number;
  frameBurst: number;
  /** Bytes per second a connection may keep up, and its burst. */
  bytesPerSec: number;
  byteBurst: number;
  /** Frames waiting for the database: reading pauses at this many, the connection is closed at twice it. */
  maxQueued: number;
  /** State frames a connection may send in a minute (each one reaches every browser). */
  statesPerMinute: number;
  /** Events a node may send in a minute, across its connections. */
  eventsPerMinute: number;
}

export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  framesPerSec: 100,
  frameBurst: 2_000,
  bytesPerSec: 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
  // Above the agent's window of unacked events (EVENT_WINDOW, 256) with room for heartbeats and state.
  maxQueued: 512,
  statesPerMinute: 120,
  eventsPerMinute: 3_000,
};

/** A token bucket: `rate` tokens a second, up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(amount: number, now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }
}

/** Counts per key in fixed one-minute windows; bounded by the keys seen in the last minute. */
export class PerMinute {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Counts one for `key`; false when that passes the minute's limit. */
  take(key: string, now = Date.now()): boolean {
    const window = Math.floor(now / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count <= this.limit;
  }
}

/** One connection's rates: null when a frame may pass, else why the connection must close. */
export class ConnectionFlood {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly states: PerMinute;

  constructor(private readonly limits: FloodLimits) {
    this.frames = new TokenBucket(limits.framesPerSec, limits.frameBurst);
    this.bytes = new TokenBucket(limits.bytesPerSec, limits.byteBurst);
    this.states = new PerMinute(limits.statesPerMinute);
  }

  admitFrame(size: number): string | null {
    if (!this.frames.take(1)) return `more than ${this.limits.framesPerSec} frames a second`;
    if (!this.bytes.take(size)) return `more than ${this.limits.bytesPerSec} bytes a second`;
    return null;
  }

  admitState(): string | null {
    return this.states.take("state") ? null : `more than ${this.limits.statesPerMinute} state updates a minute`;
  }
}
