/**
 * The live rows (a node's facts, its command's fate, its reboot record) one
 * engine read, kept between its steps: a step reads again only the rows of
 * nodes that changed since, and a batch of 1,000 rebooting nodes costs a few
 * rows a step instead of 1,000.
 *
 * What the engine hears tells it what changed: every write to a node, its
 * commands or its events is announced (NOTIFY) after it commits, and the
 * engine calls `changed` for each. A row kept while such a change was on its
 * way is no older than a step taken a moment earlier would have read; the
 * announcement then wakes the step that reads it again. Rows the engine
 * writes itself (a node's rollout status, command, blocked time) are dropped
 * after each step that moved them. What no announcement covers is bounded by
 * age: a row is read again once it is `maxAgeMs` old (spread between half and
 * all of it, so that a batch's rows read together are not read again
 * together). A gap in listening loses announcements: the engine then clears
 * everything.
 */
export class LiveRowsCache<Row extends { nodeId: string }> {
  private readonly rollouts = new Map<string, Map<string, { row: Row; freshUntil: number }>>();
  /** Nodes announced as changed while a read was under way: its rows of them are not kept. */
  private changedDuringRead: Set<string> | null = null;

  constructor(
    private readonly maxAgeMs = 2_000,
    private readonly now: () => number = () => performance.now(),
    private readonly capacity = 8,
  ) {}

  /** A node changed: its kept row, in any rollout, is read again. */
  changed(nodeId: string) {
    this.changedDuringRead?.add(nodeId);
    for (const rows of this.rollouts.values()) rows.delete(nodeId);
  }

  /** Everything is read again (a gap in listening, a change of leader). */
  clear() {
    this.rollouts.clear();
    // A read under way keeps nothing: what it read may predate a change never heard.
    this.changedDuringRead?.add("*");
  }

  /** A rollout's rows are all read again (a user changed it outside an engine step). */
  forget(rolloutId: string) {
    this.rollouts.delete(rolloutId);
  }

  /** The engine wrote these nodes' rollout rows: they are read again. */
  drop(rolloutId: string, nodeIds: Iterable<string>) {
    const rows = this.rollouts.get(rolloutId);
    if (!rows) return;
    for (const nodeId of nodeIds) rows.delete(nodeId);
  }

  /**
   * Of the rows `nodeIds` needs, those kept and fresh, and the ids to read;
   * starts a read, which `keep` ends.
   */
  take(rolloutId: string, nodeIds: readonly string[]): { kept: Row[]; toRead: string[] } {
    const rows = this.rollouts.get(rolloutId);
    const now = this.now();
    const kept: Row[] = [];
    const toRead: string[] = [];
    for (const nodeId of nodeIds) {
      const entry = rows?.get(nodeId);
      if (entry && entry.freshUntil > now) kept.push(entry.row);
      else toRead.push(nodeId);
    }
    this.changedDuringRead = new Set();
    return { kept, toRead };
  }

  /** Ends the read `take` started: its rows are kept, but for nodes announced as changed meanwhile. */
  keep(rolloutId: string, read: readonly Row[]) {
    const changed = this.changedDuringRead ?? new Set<string>();
    this.changedDuringRead = null;
    if (changed.has("*")) return;
    let rows = this.rollouts.get(rolloutId);
    if (rows) this.rollouts.delete(rolloutId);
    rows ??= new Map();
    // Map keeps insertion order: the rollout moves to the end, the most recently used.
    this.rollouts.set(rolloutId, rows);
    for (const oldest of this.rollouts.keys()) {
      if (this.rollouts.size <= this.capacity) break;
      this.rollouts.delete(oldest);
    }
    const now = this.now();
    for (const row of read) {
      if (changed.has(row.nodeId)) continue;
      rows.set(row.nodeId, { row, freshUntil: now + this.maxAgeMs * (0.5 + Math.random() / 2) });
    }
  }

  /** Rows kept, in all (for the tests). */
  get size(): number {
    let size = 0;
    for (const rows of this.rollouts.values()) size += rows.size;
    return size;
  }
}
