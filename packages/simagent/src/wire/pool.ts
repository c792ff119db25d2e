import type { AgentEvent } from "@softfleet/protocol";
import { type WireCounters, WireNode, type WireNodeSpec } from "./node";

export interface WirePoolOptions {
  /** Control's base URL (http://, or https:// with `ca`). */
  controlUrl: string;
  ca?: Buffer;
  /** The real agent's reconnect backoff unless told otherwise. */
  backoff?: { minMs: number; maxMs: number };
  /** First connections opened at once at most (a pool's start, not its reconnects: those are the agents' own). */
  connectConcurrency?: number;
  /** What commands do (see WireShared): refused by default. */
  commands?: "refuse" | "reboot";
  /** With commands "reboot": how long a soft-reboot keeps a node away (default 1-2 s). */
  downtimeMs?: { min: number; max: number };
  /** A version every node has staged at /run/nextroot from the start. */
  staged?: string;
}

/**
 * Many wire-level agents in one process (see WireNode). Counters are totals
 * over the pool, kept as the nodes go, so reading them costs nothing.
 */
export class WirePool {
  readonly nodes: WireNode[];
  readonly counters: WireCounters = {
    welcomed: 0,
    welcomes: 0,
    failedAttempts: 0,
    eventsSpooled: 0,
    eventsAcked: 0,
    eventsResent: 0,
    heartbeats: 0,
    commands: 0,
    closes: {},
  };

  constructor(
    specs: readonly WireNodeSpec[],
    private readonly options: WirePoolOptions,
  ) {
    const shared = {
      wsUrl: options.controlUrl.replace(/^http/, "ws"),
      ca: options.ca,
      backoff: options.backoff ?? { minMs: 500, maxMs: 30_000 },
      counters: this.counters,
      heartbeatSec: 10,
      commands: options.commands ?? "refuse",
      downtimeMs: options.downtimeMs ?? { min: 1_000, max: 2_000 },
    };
    this.nodes = specs.map((spec) => new WireNode(spec, shared, options.staged ?? null));
  }

  /**
   * Opens every node's first connection, at most connectConcurrency waiting
   * for their welcome at once; resolves when each was welcomed or gave up its
   * first attempt (it then retries on its own, with backoff).
   */
  async start(onProgress?: (welcomed: number) => void) {
    const limit = this.options.connectConcurrency ?? 200;
    let next = 0;
    const worker = async () => {
      while (next < this.nodes.length) {
        const node = this.nodes[next++]!;
        node.connect();
        await node.firstAttempt;
        if (next % 500 === 0) onProgress?.(this.counters.welcomed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, this.nodes.length) }, worker));
  }

  /** One event spooled on every node. */
  spoolOnEach(event: (node: WireNode) => AgentEvent) {
    for (const node of this.nodes) node.spoolEvent(event(node));
  }

  /** Events spooled and not acked yet, over the pool. */
  unacked() {
    let count = 0;
    for (const node of this.nodes) count += node.unacked;
    return count;
  }

  stop() {
    for (const node of this.nodes) node.stop();
  }
}
