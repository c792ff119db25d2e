/** Percentile by nearest rank, on a sorted copy. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: number[]) {
  return {
    runs: values.length,
    minMs: Math.round(Math.min(...values)),
    p50Ms: Math.round(percentile(values, 50)),
    maxMs: Math.round(Math.max(...values)),
  };
}

/** n, p50, p99 and max, to a tenth of a ms. */
export function tail(values: number[]) {
  const tenth = (value: number) => Math.round(value * 10) / 10;
  return {
    n: values.length,
    p50: tenth(percentile(values, 50)),
    p99: tenth(percentile(values, 99)),
    max: tenth(Math.max(...values)),
  };
}
