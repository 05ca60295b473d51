/**
 * Small statistics the benchmarks share: linear-interpolated quantiles, median, max (NaN when
 * there is nothing to measure, so a table says n/a rather than a made-up 0).
 * @module
 */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (v: readonly number[]): number => quantile(v, 0.5);
export const max = (v: readonly number[]): number => (v.length ? Math.max(...v) : NaN);
