/**
 * One metric's verdict for one report time (design §5). Pure: no clock, no I/O.
 *
 * 1. unknown  — the current window holds less than `minCoverage` of its expected points.
 * 2. bad      — an `slo` bound is breached by the window's aggregate (needs no baseline).
 * 3. unknown  — fewer than `minBaselineWindows` baseline windows have data.
 * 4. bad/good — the aggregate is far from the baseline windows' aggregates: |robust score| ≥ `score`
 *               and |relative change| ≥ `minChange`, in the metric's direction (neutral: bad either way).
 * 5. bad      — an episode: a stretch of at least `episodeMinMinutes` where the day runs outside the band
 *               the baseline draws for the same time of day.
 */
import type { MetricSpec } from '../config/types';
import type { TimeWindow, ReportWindows } from '../plan/windows';
import { lowerIndex, type Columns } from '../sources/columns';
import type { ChartData, EpisodeSpan, MetricJudgment, Onset, Rule, Verdict } from './judgment';
import {
  aggregate,
  dailySpread,
  maxAbs,
  maxOf,
  median,
  medianAndSpreadSorting,
  medianInPlace,
  minOf,
  robustSpreadOf,
} from './stats';
import { Scratch } from './scratch';
import { inferStepMs } from './step';

export interface MetricInput {
  spec: MetricSpec;
  /**
   * Readings over the whole fetch range as columns sorted by time (NaN: a gap); readings outside the
   * windows are ignored. Columns judged at many report times (a history, a backtest) infer their step once.
   */
  columns: Columns;
  /** Provider-reported spacing; inferred from the points when absent. */
  stepMs?: number;
  windows: ReportWindows;
  /** Why the source could not deliver this series, if it could not. */
  failure?: string;
  /** False: no chart data (the earlier days of a history are never drawn). Default true. */
  chart?: boolean;
}

const minute = 60_000;
/**
 * Relative floor on every spread, so a flat baseline does not turn tiny wiggles into alarms. Not on an
 * interval scale (0 is arbitrary there: 5% of 20 °C means nothing).
 */
const ratioSpreadFloor = 0.05;
const spreadFloorOf = (spec: MetricSpec) => (spec.scale === 'interval' ? 0 : ratioSpreadFloor);

/**
 * A weekly rhythm shows only against the same weekday: without one among the baseline days (gaps, or a
 * young series), a day that differs from the others may just be a Sunday, so its aggregate must score
 * this many times the usual threshold.
 */
const noSameWeekdayFactor = 2;
const weekMs = 7 * 86_400_000;

/** Every typed array a classification uses; see Scratch. */
const scratch = new Scratch();

/** Steps already inferred, per series: a backtest judges the same readings at many report times. */
const inferred = new WeakMap<Float64Array, number>();

/** Typical spacing of the readings (see inferStepMs). */
export function inferStep(times: Float64Array): number {
  const known = inferred.get(times);
  if (known !== undefined) return known;
  const step = inferStepMs(times.subarray(0, 2001));
  inferred.set(times, step);
  return step;
}

/** A window as an index range of the points (no copy), and how many finite readings it holds. */
interface Range {
  w: TimeWindow;
  lo: number;
  hi: number;
  count: number;
}

function rangeOf({ times, values }: Columns, w: TimeWindow): Range {
  const lo = lowerIndex(times, w.start);
  const hi = lowerIndex(times, w.end);
  let count = 0;
  for (let i = lo; i < hi; i++) if (Number.isFinite(values[i])) count++;
  return { w, lo, hi, count };
}

/** The finite readings of a range, in `into` (at least `range.count` long). */
function readingsOf({ values }: Columns, range: Range, into: Float64Array): Float64Array {
  let n = 0;
  for (let i = range.lo; i < range.hi; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) into[n++] = v;
  }
  return into.subarray(0, n);
}

/** Worse means higher for `lower` metrics, lower for `higher` ones; both ways for `neutral`. */
function isWorse(delta: number, direction: MetricSpec['direction']): boolean {
  return direction === 'lower' ? delta > 0 : direction === 'higher' ? delta < 0 : delta !== 0;
}

function isBetter(delta: number, direction: MetricSpec['direction']): boolean {
  return direction === 'lower' ? delta < 0 : direction === 'higher' ? delta > 0 : false;
}

/** Per time-of-day bucket arrays; NaN where there is nothing (no data, or too few baseline days). */
interface Profile {
  bucketMs: number;
  count: number;
  /** Today's mean per bucket, for the chart and the onset estimate. */
  current: Float64Array;
  /** The baseline's median per bucket and how far its readings usually stray. */
  mid: Float64Array;
  spread: Float64Array;
  /** Lowest and highest baseline day's mean per bucket: a value inside that range happened before. */
  dayLow: Float64Array;
  dayHigh: Float64Array;
  /** Every baseline reading, for the spike rule. */
  all: Float64Array;
}

/**
 * The baseline's picture of the day: every baseline point falls in a time-of-day bucket (its offset from
 * its window's start); per bucket, the median of those points and their robust spread, which holds both
 * the scatter inside the bucket and from day to day. Typed arrays from the scratch memory: one pass
 * over the readings, then one over the baseline readings to group them by bucket.
 */
function dayProfile(
  relativeSpreadFloor: number,
  columns: Columns,
  current: Range,
  days: readonly Range[],
  step: number,
  needDays: number,
): Profile {
  const bucketMs = Math.max(step, 15 * minute);
  const count = Math.ceil((current.w.end - current.w.start) / bucketMs);
  const perBucket = scratch.i32(count + 1);
  const daysSeen = scratch.i32(count);
  const lastDay = scratch.i32(count, -1);
  const dayLow = scratch.f64(count, NaN);
  const dayHigh = scratch.f64(count, NaN);
  const sums = scratch.f64(count);
  const counts = scratch.i32(count);
  const { times, values } = columns;
  let total = 0;
  for (const d of days) total += d.count;
  // One pass over the readings: every baseline reading and its bucket (-1: outside the day's buckets),
  // each day's mean per bucket, how many readings and days each bucket holds.
  const all = scratch.f64(total);
  const bucketOf = scratch.i32(total);
  let allN = 0;
  days.forEach((d, day) => {
    sums.fill(0);
    counts.fill(0);
    const start = d.w.start;
    for (let k = d.lo; k < d.hi; k++) {
      const v = values[k]!;
      if (!Number.isFinite(v)) continue;
      const i = Math.floor((times[k]! - start) / bucketMs);
      const inside = i >= 0 && i < count;
      all[allN] = v;
      bucketOf[allN++] = inside ? i : -1;
      if (!inside) continue;
      perBucket[i + 1]!++;
      sums[i]! += v;
      counts[i]!++;
      if (lastDay[i] !== day) {
        lastDay[i] = day;
        daysSeen[i]!++;
      }
    }
    for (let i = 0; i < count; i++) {
      if (counts[i] === 0) continue;
      const mean = sums[i]! / counts[i]!;
      if (!(dayLow[i]! <= mean)) dayLow[i] = mean;
      if (!(dayHigh[i]! >= mean)) dayHigh[i] = mean;
    }
  });
  // Each bucket's readings side by side in one flat array.
  for (let i = 0; i < count; i++) perBucket[i + 1]! += perBucket[i]!;
  const pooled = scratch.f64(perBucket[count]!);
  const fill = scratch.i32(count);
  fill.set(perBucket.subarray(0, count));
  for (let j = 0; j < allN; j++) {
    const i = bucketOf[j]!;
    if (i >= 0) pooled[fill[i]!++] = all[j]!;
  }
  // An absolute floor relative to the series' size, so float noise on an all-zero baseline is no episode.
  const scale = maxAbs(pooled);
  const floor = Math.max(1e-9, 1e-6 * scale);
  const mid = scratch.f64(count, NaN);
  const spread = scratch.f64(count, NaN);
  for (let i = 0; i < count; i++) {
    if (daysSeen[i]! < needDays || daysSeen[i] === 0) continue;
    const from = perBucket[i]!;
    const to = perBucket[i + 1]!;
    const { median: m, spread: s } = medianAndSpreadSorting(pooled, from, to);
    mid[i] = m;
    spread[i] = Math.max(s, relativeSpreadFloor * Math.abs(m), floor);
  }
  return {
    bucketMs,
    count,
    current: bucketMeans(columns, current, bucketMs, count),
    mid,
    spread,
    dayLow,
    dayHigh,
    all: all.subarray(0, allN),
  };
}

/** Mean per bucket of `bucketMs` from the window start; NaN where a bucket is empty. */
function bucketMeans(
  { times, values }: Columns,
  range: Range,
  bucketMs: number,
  count: number,
): Float64Array {
  const sums = scratch.f64(count);
  const counts = scratch.i32(count);
  for (let k = range.lo; k < range.hi; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) continue;
    const t = times[k]!;
    const i = Math.floor((t - range.w.start) / bucketMs);
    if (i < 0 || i >= count) continue;
    sums[i]! += v;
    counts[i]!++;
  }
  for (let i = 0; i < count; i++) sums[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : NaN;
  return sums;
}

/** One kind of episode: how far outside (in spreads and relative change) and for how long. */
interface EpisodeRule {
  score: number;
  minChange: number;
  minMinutes: number;
}

/** Per bucket, the edges outside which a reading counts; NaN where the baseline says nothing. */
interface Band {
  low: Float64Array;
  high: Float64Array;
}

/**
 * The band outside which a reading counts for `rule`. Its relative part is symmetric in ratio: with
 * minChange 1, twice the usual value above, half of it below (a drop can never be more than 100%).
 */
function bandOf(profile: Profile, rule: EpisodeRule): Band {
  const down = rule.minChange / (1 + rule.minChange);
  const low = scratch.f64(profile.count);
  const high = scratch.f64(profile.count);
  for (let i = 0; i < profile.count; i++) {
    const m = profile.mid[i]!;
    const s = profile.spread[i]!;
    // NaN in, NaN out: no baseline at this time of day.
    low[i] = m - Math.max(rule.score * s, down * Math.abs(m));
    high[i] = m + Math.max(rule.score * s, rule.minChange * Math.abs(m));
  }
  return { low, high };
}

/**
 * Stretches outside the band, in the bad direction, at the points' own resolution. One point back
 * inside does not end a stretch (noise); a stretch shorter than the rule's minutes is a blip.
 */
function findEpisodes(
  input: MetricInput,
  current: Range,
  profile: Profile,
  rule: EpisodeRule,
  step: number,
): EpisodeSpan[] {
  const { times, values } = input.columns;
  const band = bandOf(profile, rule);
  const minMs = rule.minMinutes * minute;
  const margin = input.spec.thresholds.episodeMargin;
  const episodes: EpisodeSpan[] = [];
  let run: { first: number; last: number; peak: number; usual: number; count: number } | undefined;
  let insideSince = 0;
  let previous = -Infinity;
  const close = () => {
    // One reading is a blip whatever the step (hourly data would otherwise make a single point an hour).
    if (run && run.count >= 2 && run.last + step - run.first >= minMs) {
      episodes.push({
        start: run.first,
        end: Math.min(current.w.end, run.last + step),
        peak: run.peak,
        usual: run.usual,
      });
    }
    run = undefined;
  };
  for (let k = current.lo; k < current.hi; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) continue;
    const time = times[k]!;
    // A gap in the data ends a stretch: what happened in between is not known.
    if (run && time - previous > 2 * step) close();
    previous = time;
    const i = Math.floor((time - current.w.start) / profile.bucketMs);
    const m = profile.mid[i]!;
    const low = band.low[i]!;
    const high = band.high[i]!;
    // Outside: far from the usual value, and clearly beyond what every baseline day did at this time of
    // day (so a weekend that looks like last weekend is not an episode).
    const dayHigh = profile.dayHigh[i]!;
    const dayLow = profile.dayLow[i]!;
    const outside =
      !Number.isNaN(m) &&
      !Number.isNaN(low) &&
      !Number.isNaN(high) &&
      (v >= high || v <= low) &&
      isWorse(v - m, input.spec.direction) &&
      (v > m
        ? Number.isNaN(dayHigh) || v > dayHigh + margin * (dayHigh - m)
        : Number.isNaN(dayLow) || v < dayLow - margin * (m - dayLow));
    if (outside) {
      insideSince = 0;
      if (!run) run = { first: time, last: time, peak: v, usual: m, count: 0 };
      run.last = time;
      run.count += 1;
      if (Math.abs(v - m) > Math.abs(run.peak - run.usual)) [run.peak, run.usual] = [v, m];
    } else if (run && ++insideSince > 1) {
      close();
    }
  }
  close();
  return episodes;
}

/** Episodes in time order, overlapping ones joined (keeping the more extreme peak). */
function mergeEpisodes(episodes: EpisodeSpan[]): EpisodeSpan[] {
  const sorted = [...episodes].sort((a, b) => a.start - b.start);
  const merged: EpisodeSpan[] = [];
  for (const e of sorted) {
    const last = merged[merged.length - 1];
    if (last && e.start <= last.end) {
      const fartherOff = Math.abs(e.peak - (e.usual ?? 0)) > Math.abs(last.peak - (last.usual ?? 0));
      merged[merged.length - 1] = {
        start: last.start,
        end: e.end > last.end ? e.end : last.end,
        peak: fartherOff ? e.peak : last.peak,
        usual: fartherOff ? e.usual : last.usual,
      };
    } else merged.push(e);
  }
  return merged;
}

function chartOf(profile: Profile, band: Band, window: TimeWindow): ChartData {
  return {
    start: window.start,
    stepMs: profile.bucketMs,
    value: chartLine(profile.current),
    low: chartLine(band.low),
    mid: chartLine(profile.mid),
    high: chartLine(band.high),
  };
}

/** Keep report JSON small: six significant digits for values people read, four for chart lines. */
function round(v: number): number {
  return Number(v.toPrecision(6));
}

function chartLine(values: Float64Array): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fourDigits(values[i]!);
  return out;
}

/** Four significant digits, as Number(v.toPrecision(4)) but without the string round trip. */
function fourDigits(v: number): number | null {
  if (Number.isNaN(v)) return null;
  if (v === 0 || !Number.isFinite(v)) return v;
  const exponent = Math.floor(Math.log10(Math.abs(v)));
  if (exponent > 15 || exponent < -15) return Number(v.toPrecision(4));
  const factor = 10 ** (3 - exponent);
  // Dividing by the inverse factor keeps small numbers exact (0.1234, not 0.12340000000000001).
  return factor >= 1
    ? Math.round(v * factor) / factor
    : Math.round(v / 10 ** (exponent - 3)) * 10 ** (exponent - 3);
}

/**
 * Where a change inside the window most likely began, when no episode marks it: the split of the day
 * (by time-of-day buckets, as residuals from the usual value) into a before and an after whose means
 * differ the most, weighed by how many buckets each side holds (a least-squares change point), with
 * the after side in the direction of the change. No split: the window's start.
 */
function estimateOnset(profile: Profile, window: TimeWindow, sign: number): number {
  const at: number[] = [];
  const residual: number[] = [];
  for (let i = 0; i < profile.count; i++) {
    const r = profile.current[i]! - profile.mid[i]!;
    if (Number.isNaN(r)) continue;
    at.push(i);
    residual.push(r);
  }
  const n = residual.length;
  let total = 0;
  for (const r of residual) total += r;
  let before = 0;
  let best = 0;
  let bestAt = 0;
  for (let k = 1; k < n; k++) {
    before += residual[k - 1]!;
    const diff = (total - before) / (n - k) - before / k;
    const gain = ((k * (n - k)) / n) * diff * diff;
    if (sign * diff > 0 && gain > best) [best, bestAt] = [gain, at[k]!];
  }
  return window.start + bestAt * profile.bucketMs;
}

/**
 * Spikes: readings far beyond anything the baseline days did, however short — past the highest (or
 * lowest) baseline reading by `spikeMargin` of its distance from the baseline median again, `score`
 * spreads from that median, and outside the sustained episode band at their time of day (far enough off
 * to count in an episode, only too short for one). Runs of such readings (a gap of two steps ends one) are returned as
 * spans.
 */
function findSpikes(
  input: MetricInput,
  current: Range,
  profile: Profile,
  band: Band,
  step: number,
): EpisodeSpan[] {
  const all = profile.all;
  if (all.length === 0) return [];
  const { direction } = input.spec;
  const { times, values } = input.columns;
  const hi = maxOf(all);
  const lo = minOf(all);
  // A spike lies beyond every baseline reading: with none today, the median and spread need not be found.
  let beyond = false;
  for (let k = current.lo; k < current.hi && !beyond; k++) {
    const v = values[k]!;
    beyond = (v > hi && isWorse(1, direction)) || (v < lo && isWorse(-1, direction));
  }
  if (!beyond) return [];
  const relativeSpreadFloor = spreadFloorOf(input.spec);
  const scale = maxAbs(all);
  const mid = medianInPlace(all);
  const spread = Math.max(
    robustSpreadOf(all, mid, scratch.f64(all.length)),
    relativeSpreadFloor * Math.abs(mid),
    1e-6 * scale,
    1e-9,
  );
  const t = input.spec.thresholds;
  const up = Math.max(hi + t.spikeMargin * (hi - mid), mid + t.score * spread);
  const down = Math.min(lo - t.spikeMargin * (mid - lo), mid - t.score * spread);
  const spans: EpisodeSpan[] = [];
  let run: EpisodeSpan | undefined;
  let previous = -Infinity;
  for (let k = current.lo; k < current.hi; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) continue;
    const time = times[k]!;
    const i = Math.floor((time - current.w.start) / profile.bucketMs);
    // Far enough off to count in an episode at this time of day (NaN: no baseline there), and beyond
    // every baseline reading.
    const outside =
      (v > up && isWorse(1, direction) && v >= band.high[i]!) ||
      (v < down && isWorse(-1, direction) && v <= band.low[i]!);
    if (run && (!outside || time - previous > 2 * step)) {
      spans.push(run);
      run = undefined;
    }
    previous = time;
    if (!outside) continue;
    if (!run) run = { start: time, end: time, peak: v, usual: mid };
    run.end = Math.min(current.w.end, time + step);
    if (Math.abs(v - mid) > Math.abs(run.peak - mid)) run.peak = v;
  }
  if (run) spans.push(run);
  return spans;
}

function sloBreached(slo: MetricSpec['slo'], current: number): boolean {
  return (
    !!slo && ((slo.max !== undefined && current > slo.max) || (slo.min !== undefined && current < slo.min))
  );
}

export function classifyMetric(input: MetricInput): MetricJudgment {
  scratch.reset();
  const { spec, windows } = input;
  const t = spec.thresholds;
  // On an interval scale a relative change means nothing: only absolute deviation counts.
  const interval = spec.scale === 'interval';
  const relativeSpreadFloor = spreadFloorOf(spec);
  const step = input.stepMs ?? inferStep(input.columns.times);
  // Expected points: what this series usually delivers in a window (sensors and sparse metrics report
  // irregularly), falling back to the window length over the step when there is no history.
  const { columns } = input;
  const counted = windows.baselines.map((w) => rangeOf(columns, w));
  const usualCount = median(counted.map((c) => c.count).filter((n) => n > 0));
  const expected = Math.max(
    1,
    Number.isNaN(usualCount) ? Math.round((windows.current.end - windows.current.start) / step) : usualCount,
  );
  const today = rangeOf(columns, windows.current);
  let longest = today.count;
  for (const c of counted) longest = Math.max(longest, c.count);
  const buffer = scratch.f64(longest);
  const coverageRatio = today.count / expected;
  const coverage = Math.min(1, coverageRatio);
  const current =
    today.count > 0 ? aggregate(readingsOf(columns, today, buffer), spec.aggregation, coverageRatio) : null;

  const usable = counted.filter((c) => c.count / expected >= t.minCoverage);
  const baselineAggs = usable.map((c) =>
    aggregate(readingsOf(columns, c, buffer), spec.aggregation, c.count / expected),
  );
  const usual = baselineAggs.length > 0 ? median(baselineAggs) : null;
  const change =
    current !== null && usual !== null && usual !== 0 && !interval
      ? (current - usual) / Math.abs(usual)
      : null;
  // The absolute floor keeps float noise on an all-zero baseline from scoring in the thousands.
  const scale = Math.max(maxAbs(baselineAggs), Math.abs(current ?? 0));
  const spread =
    usual === null
      ? null
      : Math.max(dailySpread(baselineAggs, usual), relativeSpreadFloor * Math.abs(usual), 1e-6 * scale, 1e-9);
  const score = current !== null && usual !== null && spread !== null ? (current - usual) / spread : null;

  // Data that stopped hours before the report time is said even when the rest of the day is enough to judge.
  let lastSeen: number | undefined;
  for (let i = today.hi - 1; i >= today.lo; i--) {
    if (!Number.isNaN(columns.values[i])) {
      lastSeen = columns.times[i]!;
      break;
    }
  }
  const silentFor = lastSeen === undefined ? 0 : windows.current.end - (lastSeen + step);
  const stale = lastSeen !== undefined && silentFor >= Math.max(2 * 3_600_000, 6 * step);
  const base = {
    current,
    usual,
    change,
    score: score === null ? null : Number(score.toFixed(2)),
    coverage: Number(coverage.toFixed(3)),
    baselineWindows: usable.length,
    baselineWindowsWanted: windows.baselines.length,
    baselineWindowsNeeded: t.minBaselineWindows,
    baselineValues: baselineAggs.map(round),
    ...(lastSeen !== undefined ? { lastSeenEnd: lastSeen + step } : {}),
    ...(stale && lastSeen !== undefined ? { noDataSince: lastSeen + step } : {}),
  };
  const judged = (
    verdict: Verdict,
    rule: Rule,
    extra: { episodes?: EpisodeSpan[]; chart?: ChartData; onset?: Onset } = {},
  ): MetricJudgment => ({
    ...base,
    verdict,
    rule,
    episodes: extra.episodes ?? [],
    ...(extra.onset ? { onset: extra.onset } : {}),
    ...(extra.chart ? { chart: extra.chart } : {}),
  });

  if (input.failure) return { ...judged('unknown', 'source'), failure: input.failure };
  if (coverage < t.minCoverage || current === null) return judged('unknown', 'coverage');

  const profile = dayProfile(
    relativeSpreadFloor,
    columns,
    today,
    usable,
    step,
    Math.min(t.minBaselineWindows, usable.length),
  );
  // Two kinds of episode: a sharp one (far off for an hour) and a sustained one (a milder shift for hours).
  const sharp = {
    score: t.episodeScore,
    minChange: interval ? 0 : t.episodeMinChange,
    minMinutes: t.episodeMinMinutes,
  };
  const sustained = {
    score: t.sustainedScore,
    minChange: interval ? 0 : t.sustainedMinChange,
    minMinutes: t.sustainedMinMinutes,
  };
  // The chart draws the narrower band: whatever leaves it for long enough, or far enough, is an episode.
  const chart =
    input.chart === false ? undefined : chartOf(profile, bandOf(profile, sustained), windows.current);
  const episodes =
    usable.length < t.minBaselineWindows
      ? []
      : mergeEpisodes([
          ...findEpisodes(input, today, profile, sharp, step),
          ...findEpisodes(input, today, profile, sustained, step),
        ]);
  const first = episodes[0];
  const onsetOf = (sign: number): Onset =>
    first
      ? { at: first.start, estimated: false }
      : { at: estimateOnset(profile, windows.current, sign), estimated: true };

  if (sloBreached(spec.slo, current)) {
    const sign = spec.slo!.max !== undefined && current > spec.slo!.max ? 1 : -1;
    return judged('bad', 'slo', { chart, onset: onsetOf(sign) });
  }
  if (usable.length < t.minBaselineWindows) return judged('unknown', 'baseline', { chart });

  const delta = current - usual!;
  // Far: a large score, a meaningful change, and no baseline day came close (a level that already
  // held on one of the previous days, such as last Saturday's, is not news).
  let nearest = Infinity;
  for (const b of baselineAggs) nearest = Math.min(nearest, Math.abs(current - b));
  let sameWeekday = false;
  for (const u of usable) {
    const weeks = (windows.current.start - u.w.start) / weekMs;
    if (Math.abs(weeks - Math.round(weeks)) * weekMs < 2 * 3_600_000) sameWeekday = true;
  }
  const needScore = sameWeekday ? t.score : t.score * noSameWeekdayFactor;
  const far =
    score !== null &&
    Math.abs(score) >= needScore &&
    (change === null || Math.abs(change) >= t.minChange) &&
    nearest >= (t.score / 2) * spread!;
  if (far && isWorse(delta, spec.direction))
    return judged('bad', 'baseline', { episodes, chart, onset: onsetOf(Math.sign(delta)) });
  if (episodes.length > 0) return judged('bad', 'episode', { episodes, chart, onset: onsetOf(1) });
  const spikes = findSpikes(input, today, profile, bandOf(profile, sustained), step);
  if (spikes.length > 0)
    return judged('bad', 'spike', {
      episodes: spikes,
      chart,
      onset: { at: spikes[0]!.start, estimated: false },
    });
  if (far && isBetter(delta, spec.direction))
    return judged('good', 'baseline', { chart, onset: onsetOf(Math.sign(delta)) });
  return judged('normal', 'baseline', { chart });
}
