/** Number formats shared by the fleet and node pages. */

/** A downtime or phase length: "740 ms" below a second, "1.74 s" below a minute, "2 min 05 s" above. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
}

/** Milliseconds, digit-grouped, with up to `digits` decimals: "1,740.123 ms". */
export function formatMs(ms: number, digits = 3): string {
  return `${ms.toLocaleString(undefined, { maximumFractionDigits: digits })} ms`;
}

/** A CLOCK_MONOTONIC value in µs (a decimal string, possibly beyond 2^53), digit-grouped. */
export function formatUsec(usec: string | null | undefined): string {
  if (usec == null || !/^\d+$/.test(usec)) return "—";
  return `${BigInt(usec).toLocaleString()} µs`;
}

/** The first characters of a long id (boot id, invocation id), for tables; show the full one in a title. */
export function shortId(id: string | null | undefined, length = 8): string {
  if (!id) return "—";
  return id.length > length ? `${id.slice(0, length)}…` : id;
}

/** The last characters of a database id (cuids share their first ones), for tables; show the full one in a title. */
export function idTail(id: string, length = 6): string {
  return id.length > length ? `…${id.slice(-length)}` : id;
}

/** The gap in ms between two µs timestamps (strings or numbers), or null when unknown or negative. */
export function gapMs(from: string | number | null | undefined, to: string | number | null | undefined): number | null {
  if (from == null || to == null) return null;
  try {
    const diff = BigInt(to) - BigInt(from);
    return diff < 0n ? null : Number(diff) / 1000;
  } catch {
    return null;
  }
}

/** A rollout's running time: "45 s", "12 min 05 s", "3 h 07 min". */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
