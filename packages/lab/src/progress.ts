/** Progress lines on stderr with the elapsed time, so a slow step shows where it is. */
export interface Progress {
  say(message: string): void;
  /** Seconds since this progress began, e.g. "12.3". */
  seconds(): string;
  /** Repeats a status line every intervalMs while a quiet step runs; call the result to stop. */
  heartbeat(status: () => string, intervalMs?: number): () => void;
}

export function progress(scope = "lab"): Progress {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const say = (message: string) => console.error(`[${scope}] (${seconds()}s) ${message}`);
  return {
    say,
    seconds,
    heartbeat(status, intervalMs = 10_000) {
      const timer = setInterval(() => say(status()), intervalMs);
      return () => clearInterval(timer);
    },
  };
}
