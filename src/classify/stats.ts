/** Small robust statistics, pure. Inputs hold finite numbers only. */
import type { Aggregation } from '../config/schema';

/** MAD × this estimates the standard deviation for normal data. */
export const madToSigma = 1.4826;

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile, q in [0, 1]; NaN for no values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  // A typed copy sorts numerically without a comparator.
  const sorted = Float64Array.from(values).sort();
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
export function aggregate(values: ArrayLike<number>, how: Aggregation, coverage: number): number {
  switch (how) {
    case 'mean':
      return sumOf(values) / values.length;
    case 'median':
      return median(values);
    case 'p95':
      return quantile(values, 0.95);
    case 'max':
      return maxOf(values);
    case 'min':
      return minOf(values);
    case 'sum':
      return sumOf(values) / Math.max(coverage, 1e-9);
    case 'last':
      return values[values.length - 1]!;
  }
}

/* Loops, not Math.max(...values): a spread of a week at 1 s overflows the call stack (RangeError). */

function sumOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}

export function maxOf(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

export function minOf(values: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! < m) m = values[i]!;
  return m;
}

/** Largest |value|, 0 for none. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Median of `a[from..to)`, reordering that range in place (quickselect: linear time, no copy). The same
 * value as `median()`: the middle one, or the mean of the two middle ones. NaN for none. Index ranges,
 * not subarrays: a view costs more to create than a median of twenty numbers takes to find.
 */
export function medianInPlace(a: Float64Array, from = 0, to = a.length): number {
  const n = to - from;
  if (n <= 0) return NaN;
  const k = from + (n >> 1);
  const upper = selectInPlace(a, from, to - 1, k);
  if (n % 2 === 1) return upper;
  // Everything left of k is ≤ a[k] now: the lower middle value is their largest.
  let lower = -Infinity;
  for (let i = from; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  // The same arithmetic as quantile(), so both give the very same number.
  return lower + (upper - lower) * 0.5;
}

/** The value that belongs at a[k] among a[lo..hi] (inclusive), leaving smaller ones left of k, larger right. */
function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // Median of three as the pivot keeps sorted and reversed runs linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Robust spread (MAD × 1.4826) of `a[from..to)` around `centre`, using `scratch` (at least `to - from`
 * long) for the deviations.
 */
export function robustSpreadOf(
  a: Float64Array,
  centre: number,
  scratch: Float64Array,
  from = 0,
  to = a.length,
): number {
  const n = to - from;
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(a[from + i]! - centre);
  return madToSigma * medianInPlace(scratch, 0, n);
}

/**
 * Median and robust spread (MAD × 1.4826) of `a[from..to)` together, sorting that range in place: the
 * same two numbers as medianInPlace and robustSpreadOf, found with one sort instead of two selections.
 * Sorted, the deviations from the median grow outward from the middle on both sides, so their median
 * is found by walking outward: no second array. Short ranges (a time-of-day bucket of a week holds a
 * few dozen readings) sort fastest by insertion; long ones natively.
 */
export function medianAndSpreadSorting(
  a: Float64Array,
  from: number,
  to: number,
): { median: number; spread: number } {
  const n = to - from;
  if (n <= 0) return { median: NaN, spread: NaN };
  if (n <= 64) {
    for (let i = from + 1; i < to; i++) {
      const x = a[i]!;
      let j = i - 1;
      while (j >= from && a[j]! > x) {
        a[j + 1] = a[j]!;
        j--;
      }
      a[j + 1] = x;
    }
  } else a.subarray(from, to).sort();
  const k = from + (n >> 1);
  const even = n % 2 === 0;
  const median = even ? a[k - 1]! + (a[k]! - a[k - 1]!) * 0.5 : a[k]!;
  // The (n >> 1)-th smallest deviation (and the one before it, for an even count), walking outward.
  let left = k - 1;
  let right = k;
  let previous = 0;
  let current = 0;
  for (let taken = 0; taken <= n >> 1; taken++) {
    const dl = left >= from ? Math.abs(a[left]! - median) : Infinity;
    const dr = right < to ? Math.abs(a[right]! - median) : Infinity;
    previous = current;
    if (dl <= dr) {
      current = dl;
      left--;
    } else {
      current = dr;
      right++;
    }
  }
  const mad = even ? previous + (current - previous) * 0.5 : current;
  return { median, spread: madToSigma * mad };
}
