// Order statistics and number formatting shared by the benches' printouts.

/** Median, tails and extremes of a set of samples. */
export interface Spread {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The `p`th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** p50, p99, min and max of `values`. */
export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    min: Math.min(...values),
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

/** `1.23 ms`. */
export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 3 : 1)} ms`;
}

/** `123.4 MB/s` (decimal megabytes). */
export function mbps(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** `1.23×`. */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** `p50 x  p99 y  (min a, max b, n=c)` for latencies in milliseconds. */
export function latencyLine(s: Spread): string {
  return `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  (min ${ms(s.min)}, max ${ms(s.max)}, n=${s.count})`;
}

/** `median x  (min a, max b, n=c)` for rates in bytes per second. */
export function rateLine(s: Spread): string {
  return `median ${mbps(s.p50)}  (min ${mbps(s.min)}, max ${mbps(s.max)}, n=${s.count})`;
}

/** `PASS` or `MISS`, for a target that is printed, never enforced. */
export function verdict(met: boolean): string {
  return met ? 'PASS' : 'MISS';
}
