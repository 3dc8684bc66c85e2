import { medianInPlace } from './stats';

/** The spacing of a series' points, inferred once for every source and the verdict engine. Pure. */

const fallbackMs = 5 * 60_000;

/**
 * Typical spacing of sorted times: the median of the positive gaps. The median ignores outages,
 * duplicates and skipped buckets (a provider that leaves out empty buckets still shows its interval
 * in most gaps) and, unlike a common divisor, is not fooled by jittered timestamps.
 * `atLeastMs` is the spacing that was asked for: a provider never answers finer than that.
 */
export function inferStepMs(times: ArrayLike<number>, atLeastMs = 0): number {
  // A few thousand gaps are plenty to find the typical one; a week at 1 s would be 600k.
  const gaps = new Float64Array(Math.min(2000, Math.max(0, times.length - 1)));
  let n = 0;
  for (let i = 1; i < times.length && n < gaps.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap > 0) gaps[n++] = gap;
  }
  if (n === 0) return Math.max(atLeastMs, atLeastMs > 0 ? 0 : fallbackMs);
  return Math.max(medianInPlace(gaps.subarray(0, n)), atLeastMs);
}
