/** Small robust statistics, pure. Inputs hold finite numbers only. */
import type { Aggregation } from '../config/schema';

/** MAD × this estimates the standard deviation for normal data. */
export const madToSigma = 1.4826;

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile, q in [0, 1]; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median absolute deviation around `centre`, scaled to a standard deviation. */
export function robustSpread(values: readonly number[], centre = median(values)): number {
  return madToSigma * median(values.map((v) => Math.abs(v - centre)));
}

/**
 * Spread of a handful of daily aggregates. MAD alone is shaky on seven values and collapses when most
 * days agree (five weekdays make the weekend look alarming); the mean absolute deviation, scaled to a
 * standard deviation, steadies it while one odd day still moves it far less than a standard deviation.
 */
export function dailySpread(values: readonly number[], centre = median(values)): number {
  const meanAbsolute = values.reduce((sum, v) => sum + Math.abs(v - centre), 0) / values.length;
  return Math.max(robustSpread(values, centre), 1.2533 * meanAbsolute);
}

/**
 * The window's aggregate. `sum` is scaled up by missing coverage so that a window with a gap is
 * compared with full windows on equal terms (coverage itself is judged separately).
 */
export function aggregate(values: readonly number[], how: Aggregation, coverage: number): number {
  switch (how) {
    case 'mean':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'median':
      return median(values);
    case 'p95':
      return quantile(values, 0.95);
    case 'max':
      return maxOf(values);
    case 'min':
      return minOf(values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0) / Math.max(coverage, 1e-9);
    case 'last':
      return values[values.length - 1]!;
  }
}

/* Loops, not Math.max(...values): a spread of a week at 1 s overflows the call stack (RangeError). */

export function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

export function minOf(values: readonly number[]): number {
  let m = Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! < m) m = values[i]!;
  return m;
}

/** Largest |value|, 0 for none. */
export function maxAbs(values: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > m) m = a;
  }
  return m;
}
