/**
 * Reads shared by a process's live subscriptions: twenty pages that each need
 * the fleet's counts after the same burst of changes make one query, not
 * twenty. A read is reused only if it started after the change the asker
 * waits for arrived (its NOTIFY comes after its commit, so such a read sees
 * it); otherwise a new one starts. Entries are dropped once they are too old
 * to be reused by anyone, so the map stays small.
 */
const reads = new Map<string, { startedAt: number; value: Promise<unknown> }>();
const KEEP_MS = 1_000;

export function sharedRead<T>(key: string, since: number, read: () => Promise<T>): Promise<T> {
  const now = performance.now();
  const hit = reads.get(key);
  if (hit && hit.startedAt >= since) return hit.value as Promise<T>;
  const value = read();
  reads.set(key, { startedAt: now, value });
  // A failed read is not shared: the next asker tries again.
  value.catch(() => {
    if (reads.get(key)?.value === value) reads.delete(key);
  });
  if (reads.size > 200) {
    for (const [k, entry] of reads) if (now - entry.startedAt > KEEP_MS) reads.delete(k);
  }
  return value;
}
