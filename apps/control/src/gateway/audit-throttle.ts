/**
 * Keeps unauthenticated clients from filling the audit log: per key (an
 * action and a source address), the first event of each window is written
 * and the rest are counted, their number written with the next one. Audit
 * rows are never updated, so "collapsing" means writing fewer of them.
 * Bounded: past `maxKeys` the oldest keys are forgotten.
 */
export class AuditThrottle {
  private readonly windows = new Map<string, { start: number; suppressed: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** null: do not write; else write, noting how many were left out since the last row. */
  admit(key: string, now = Date.now()): { suppressed: number } | null {
    const window = this.windows.get(key);
    if (window && now - window.start < this.windowMs) {
      window.suppressed += 1;
      return null;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.delete(key);
    this.windows.set(key, { start: now, suppressed: 0 });
    if (this.windows.size > this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    return { suppressed };
  }
}
