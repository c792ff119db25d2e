import { join } from "node:path";
import * as z from "@softfleet/protocol/zod";
import { readJsonIfExists, writeFileAtomic } from "./fsutil";

export interface RebootLimitConfig {
  count: number;
  perSeconds: number;
}

const saved = z.array(z.number()).check(z.maxLength(10_000));

/**
 * The node's own limit on reboot commands it accepts, whoever sends them: at
 * most `count` in any `perSeconds`. The times are kept in the state folder,
 * since every soft-reboot restarts the agent. Off unless configured.
 */
export class RebootLimit {
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly limit: RebootLimitConfig | null,
  ) {
    this.file = join(stateDir, "accepted-reboots.json");
  }

  private recent(now: number): number[] {
    if (!this.limit) return [];
    const parsed = saved.safeParse(readJsonIfExists(this.file));
    const since = now - this.limit.perSeconds * 1000;
    return (parsed.success ? parsed.data : []).filter((at) => at > since && at <= now);
  }

  /** Null when a reboot command may be accepted now, else why not. */
  refusal(now = Date.now()): string | null {
    if (!this.limit) return null;
    const recent = this.recent(now);
    if (recent.length < this.limit.count) return null;
    const nextAt = Math.min(...recent) + this.limit.perSeconds * 1000;
    return `this node accepts at most ${this.limit.count} reboot commands in ${this.limit.perSeconds} s (its rebootCommandLimit); the next one from ${new Date(nextAt).toISOString()}`;
  }

  /** Notes an accepted reboot command, durably, before the reboot begins. */
  accepted(now = Date.now()): void {
    if (!this.limit) return;
    writeFileAtomic(this.file, JSON.stringify([...this.recent(now), now]), 0o600);
  }
}
