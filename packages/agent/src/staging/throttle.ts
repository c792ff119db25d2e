/**
 * A bandwidth cap for a byte stream: a token bucket refilled at the cap,
 * holding at most a tenth of a second's worth, so the average rate stays at
 * or below the cap and a burst after a stall is short.
 */
import { Transform, type TransformCallback } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly bytesPerSec: number,
    readonly burstBytes = Math.max(1, Math.floor(bytesPerSec / 10)),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burstBytes;
    this.last = now();
  }

  /** Takes `bytes` tokens (at most burstBytes), waiting as long as they take to refill. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.last) / 1000) * this.bytesPerSec);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) await sleep((-this.tokens / this.bytesPerSec) * 1000, undefined, { signal });
  }
}

/**
 * Passes bytes through at most `bytesPerSec`. Chunks are cut to the bucket's
 * burst size, so no single wait is longer than about 100 ms: an idle timer
 * downstream never mistakes the cap for a stalled server.
 */
export function throttleStream(bytesPerSec: number, signal?: AbortSignal): Transform {
  const bucket = new TokenBucket(bytesPerSec);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      (async () => {
        for (let offset = 0; offset < chunk.length; offset += bucket.burstBytes) {
          const piece = chunk.subarray(offset, offset + bucket.burstBytes);
          await bucket.take(piece.length, signal);
          if (this.destroyed) return;
          this.push(piece);
        }
      })().then(() => callback(), callback);
    },
  });
}
