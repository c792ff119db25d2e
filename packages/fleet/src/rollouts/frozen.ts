/**
 * A rollout's nodes as its creation froze them, in plan order: ids,
 * hostnames and batches. Nothing changes them afterwards (a node deleted
 * meanwhile leaves its rollout: its row goes, which the count read with
 * every step shows).
 */
export interface FrozenNodes {
  ids: string[];
  batchIndexes: number[];
  hostnames: ReadonlyMap<string, string>;
}

/**
 * The frozen nodes of the last few rollouts one engine stepped, kept between
 * its steps: a step of a 10,000-node rollout then reads its nodes' statuses
 * and not their ids and hostnames again. Bounded: the least recently used
 * rollout goes first.
 */
export class FrozenNodesCache {
  private readonly entries = new Map<string, FrozenNodes>();

  constructor(private readonly capacity = 8) {}

  get(rolloutId: string): FrozenNodes | undefined {
    const entry = this.entries.get(rolloutId);
    if (entry) {
      // Map keeps insertion order: the entry moves to the end, the most recently used.
      this.entries.delete(rolloutId);
      this.entries.set(rolloutId, entry);
    }
    return entry;
  }

  set(rolloutId: string, nodes: FrozenNodes) {
    this.entries.delete(rolloutId);
    this.entries.set(rolloutId, nodes);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }

  forget(rolloutId: string) {
    this.entries.delete(rolloutId);
  }
}
