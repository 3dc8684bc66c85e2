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
import type { Point } from '../sources/types';
import type { ChartData, EpisodeSpan, MetricJudgment, Onset, Rule, Verdict } from './judgment';
import { aggregate, dailySpread, maxAbs, maxOf, median, minOf, robustSpread } from './stats';
import { inferStepMs } from './step';

export interface MetricInput {
  spec: MetricSpec;
  /** Points over the whole fetch range, sorted by time; extra points outside the windows are ignored. */
  points: readonly Point[];
  /** Provider-reported spacing; inferred from the points when absent. */
  stepMs?: number;
  windows: ReportWindows;
  /** Why the source could not deliver this series, if it could not. */
  failure?: string;
}

const minute = 60_000;
/** Relative floor on every spread, so a flat baseline does not turn tiny wiggles into alarms. */
const relativeSpreadFloor = 0.05;

/**
 * A weekly rhythm shows only against the same weekday: without one among the baseline days (gaps, or a
 * young series), a day that differs from the others may just be a Sunday, so its aggregate must score
 * this many times the usual threshold.
 */
const noSameWeekdayFactor = 2;
const weekMs = 7 * 86_400_000;

/** Typical spacing of the points (see inferStepMs). */
export function inferStep(points: readonly Point[]): number {
  const times = new Array<number>(Math.min(points.length, 2001));
  for (let i = 0; i < times.length; i++) times[i] = points[i]![0];
  return inferStepMs(times);
}

/** Index of the first point at or after t (points sorted). */
function lowerBound(points: readonly Point[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]![0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function cut(points: readonly Point[], w: TimeWindow): Point[] {
  return points.slice(lowerBound(points, w.start), lowerBound(points, w.end));
}

function values(points: readonly Point[]): number[] {
  const out: number[] = [];
  for (const [, v] of points) if (v !== null && Number.isFinite(v)) out.push(v);
  return out;
}

/** Mean per bucket of `bucketMs` from the window start; null where a bucket is empty. */
function bucketMeans(
  points: readonly Point[],
  w: TimeWindow,
  bucketMs: number,
  count: number,
): (number | null)[] {
  const sums = new Array<number>(count).fill(0);
  const counts = new Array<number>(count).fill(0);
  for (const [t, v] of points) {
    if (v === null || !Number.isFinite(v)) continue;
    const i = Math.floor((t - w.start) / bucketMs);
    if (i < 0 || i >= count) continue;
    sums[i]! += v;
    counts[i]! += 1;
  }
  return sums.map((s, i) => (counts[i]! > 0 ? s / counts[i]! : null));
}

/** Worse means higher for `lower` metrics, lower for `higher` ones; both ways for `neutral`. */
function isWorse(delta: number, direction: MetricSpec['direction']): boolean {
  return direction === 'lower' ? delta > 0 : direction === 'higher' ? delta < 0 : delta !== 0;
}

function isBetter(delta: number, direction: MetricSpec['direction']): boolean {
  return direction === 'lower' ? delta < 0 : direction === 'higher' ? delta > 0 : false;
}

interface Profile {
  bucketMs: number;
  /** Today's mean per bucket, for the chart. */
  current: (number | null)[];
  /** Per time-of-day bucket: the baseline's median and how far its readings usually stray. */
  mid: (number | null)[];
  spread: (number | null)[];
  /** Lowest and highest baseline day's mean per bucket: a value inside that range happened before. */
  dayLow: (number | null)[];
  dayHigh: (number | null)[];
}

/**
 * The baseline's picture of the day: every baseline point falls in a time-of-day bucket (its offset from
 * its window's start); per bucket, the median of those points and their robust spread, which holds both
 * the scatter inside the bucket and from day to day.
 */
function dayProfile(
  input: MetricInput,
  baselineWindows: TimeWindow[],
  step: number,
  needDays: number,
): Profile {
  const { current } = input.windows;
  const bucketMs = Math.max(step, 15 * minute);
  const count = Math.ceil((current.end - current.start) / bucketMs);
  const pooled: number[][] = Array.from({ length: count }, () => []);
  const daysSeen: Set<number>[] = Array.from({ length: count }, () => new Set());
  const days = baselineWindows.map((w) => ({ w, points: cut(input.points, w) }));
  days.forEach(({ w, points }, day) => {
    for (const [time, v] of points) {
      if (v === null || !Number.isFinite(v)) continue;
      const i = Math.floor((time - w.start) / bucketMs);
      if (i < 0 || i >= count) continue;
      pooled[i]!.push(v);
      daysSeen[i]!.add(day);
    }
  });
  const perDay = days.map(({ w, points }) => bucketMeans(points, w, bucketMs, count));
  const dayLow = perDay.reduce<(number | null)[]>(
    (lo, d) => lo.map((v, i) => lowerOf(v, d[i] ?? null)),
    new Array<number | null>(count).fill(null),
  );
  const dayHigh = perDay.reduce<(number | null)[]>(
    (hi, d) => hi.map((v, i) => higherOf(v, d[i] ?? null)),
    new Array<number | null>(count).fill(null),
  );
  // An absolute floor relative to the series' size, so float noise on an all-zero baseline is no episode.
  let scale = 0;
  for (const xs of pooled) scale = Math.max(scale, maxAbs(xs));
  const floor = Math.max(1e-9, 1e-6 * scale);
  const mid = pooled.map((xs, i) => (daysSeen[i]!.size >= needDays ? median(xs) : null));
  const spread = pooled.map((xs, i) => {
    const m = mid[i];
    return m === null || m === undefined
      ? null
      : Math.max(robustSpread(xs, m), relativeSpreadFloor * Math.abs(m), floor);
  });
  return {
    bucketMs,
    current: bucketMeans(cut(input.points, current), current, bucketMs, count),
    mid,
    spread,
    dayLow,
    dayHigh,
  };
}

/** One kind of episode: how far outside (in spreads and relative change) and for how long. */
interface EpisodeRule {
  score: number;
  minChange: number;
  minMinutes: number;
}

interface Band {
  low: (number | null)[];
  high: (number | null)[];
}

/**
 * The band outside which a reading counts for `rule`. Its relative part is symmetric in ratio: with
 * minChange 1, twice the usual value above, half of it below (a drop can never be more than 100%).
 */
function bandOf(profile: Profile, rule: EpisodeRule): Band {
  const down = rule.minChange / (1 + rule.minChange);
  const edge = (sign: 1 | -1, relative: number) =>
    profile.spread.map((s, i) => {
      const m = profile.mid[i];
      return s === null || m === null || m === undefined
        ? null
        : m + sign * Math.max(rule.score * s, relative * Math.abs(m));
    });
  return { low: edge(-1, down), high: edge(1, rule.minChange) };
}

const lowerOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const higherOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Stretches outside the band, in the bad direction, at the points' own resolution. One point back
 * inside does not end a stretch (noise); a stretch shorter than the rule's minutes is a blip.
 */
function findEpisodes(input: MetricInput, profile: Profile, rule: EpisodeRule, step: number): EpisodeSpan[] {
  const { current } = input.windows;
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
        end: Math.min(current.end, run.last + step),
        peak: run.peak,
        usual: run.usual,
      });
    }
    run = undefined;
  };
  for (const [time, v] of cut(input.points, current)) {
    if (v === null || !Number.isFinite(v)) continue;
    // A gap in the data ends a stretch: what happened in between is not known.
    if (run && time - previous > 2 * step) close();
    previous = time;
    const i = Math.floor((time - current.start) / profile.bucketMs);
    const m = profile.mid[i];
    const low = band.low[i];
    const high = band.high[i];
    // Outside: far from the usual value, and beyond what any baseline day did at this time of day
    // (so a weekend that looks like last weekend is not an episode).
    const outside =
      m !== null &&
      m !== undefined &&
      low !== null &&
      low !== undefined &&
      high !== null &&
      high !== undefined &&
      (v >= high || v <= low) &&
      isWorse(v - m, input.spec.direction) &&
      (v > m
        ? v > (profile.dayHigh[i] ?? -Infinity) + margin * ((profile.dayHigh[i] ?? m) - m)
        : v < (profile.dayLow[i] ?? Infinity) - margin * (m - (profile.dayLow[i] ?? m)));
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
    value: profile.current.map(chartValue),
    low: band.low.map(chartValue),
    mid: profile.mid.map(chartValue),
    high: band.high.map(chartValue),
  };
}

/** Keep report JSON small: six significant digits for values people read, four for chart lines. */
function round(v: number): number {
  return Number(v.toPrecision(6));
}

function chartValue(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v.toPrecision(4));
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
  for (let i = 0; i < profile.current.length; i++) {
    const v = profile.current[i];
    const m = profile.mid[i];
    if (v === null || v === undefined || m === null || m === undefined) continue;
    at.push(i);
    residual.push(v - m);
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
 * spreads from that median, and outside the sharp episode band at their time of day (as far off as a
 * sharp episode, only shorter). Runs of such readings (a gap of two steps ends one) are returned as
 * spans; at least `spikeReadings` readings make one.
 */
function findSpikes(
  input: MetricInput,
  baselineWindows: TimeWindow[],
  step: number,
  profile: Profile,
  sharp: Band,
): EpisodeSpan[] {
  const pooled: number[] = [];
  for (const w of baselineWindows)
    for (const [, v] of cut(input.points, w)) if (v !== null && Number.isFinite(v)) pooled.push(v);
  if (pooled.length === 0) return [];
  const mid = median(pooled);
  const hi = maxOf(pooled);
  const lo = minOf(pooled);
  const spread = Math.max(
    robustSpread(pooled, mid),
    relativeSpreadFloor * Math.abs(mid),
    1e-6 * maxAbs(pooled),
    1e-9,
  );
  const t = input.spec.thresholds;
  const up = Math.max(hi + t.spikeMargin * (hi - mid), mid + t.score * spread);
  const down = Math.min(lo - t.spikeMargin * (mid - lo), mid - t.score * spread);
  const { direction } = input.spec;
  const spans: EpisodeSpan[] = [];
  let run: EpisodeSpan | undefined;
  let previous = -Infinity;
  const close = () => {
    if (run) spans.push(run);
    run = undefined;
  };
  for (const [time, v] of cut(input.points, input.windows.current)) {
    if (v === null || !Number.isFinite(v)) continue;
    const i = Math.floor((time - input.windows.current.start) / profile.bucketMs);
    const high = sharp.high[i];
    const low = sharp.low[i];
    // As far off as a sharp episode at this time of day, and beyond every baseline reading.
    const outside =
      (v > up && isWorse(1, direction) && high !== null && high !== undefined && v >= high) ||
      (v < down && isWorse(-1, direction) && low !== null && low !== undefined && v <= low);
    if (run && (!outside || time - previous > 2 * step)) close();
    previous = time;
    if (!outside) continue;
    if (!run) run = { start: time, end: time, peak: v, usual: mid };
    run.end = Math.min(input.windows.current.end, time + step);
    if (Math.abs(v - mid) > Math.abs(run.peak - mid)) run.peak = v;
  }
  close();
  return spans;
}

function sloBreached(slo: MetricSpec['slo'], current: number): boolean {
  return (
    !!slo && ((slo.max !== undefined && current > slo.max) || (slo.min !== undefined && current < slo.min))
  );
}

export function classifyMetric(input: MetricInput): MetricJudgment {
  const { spec, windows } = input;
  const t = spec.thresholds;
  const step = input.stepMs ?? inferStep(input.points);
  // Expected points: what this series usually delivers in a window (sensors and sparse metrics report
  // irregularly), falling back to the window length over the step when there is no history.
  const counted = windows.baselines.map((w) => ({ w, vs: values(cut(input.points, w)) }));
  const usualCount = median(counted.map((c) => c.vs.length).filter((n) => n > 0));
  const expected = Math.max(
    1,
    Number.isNaN(usualCount) ? Math.round((windows.current.end - windows.current.start) / step) : usualCount,
  );
  const todayPoints = cut(input.points, windows.current);
  const todayValues = values(todayPoints);
  const coverageRatio = todayValues.length / expected;
  const coverage = Math.min(1, coverageRatio);
  const current = todayValues.length > 0 ? aggregate(todayValues, spec.aggregation, coverageRatio) : null;

  const usable = counted.filter(({ vs }) => vs.length / expected >= t.minCoverage);
  const baselineAggs = usable.map(({ vs }) => aggregate(vs, spec.aggregation, vs.length / expected));
  const usual = baselineAggs.length > 0 ? median(baselineAggs) : null;
  const change =
    current !== null && usual !== null && usual !== 0 ? (current - usual) / Math.abs(usual) : null;
  // The absolute floor keeps float noise on an all-zero baseline from scoring in the thousands.
  const scale = Math.max(maxAbs(baselineAggs), Math.abs(current ?? 0));
  const spread =
    usual === null
      ? null
      : Math.max(dailySpread(baselineAggs, usual), relativeSpreadFloor * Math.abs(usual), 1e-6 * scale, 1e-9);
  const score = current !== null && usual !== null && spread !== null ? (current - usual) / spread : null;

  // Data that stopped hours before the report time is said even when the rest of the day is enough to judge.
  let lastSeen: number | undefined;
  for (let i = todayPoints.length - 1; i >= 0; i--) {
    if (todayPoints[i]![1] !== null) {
      lastSeen = todayPoints[i]![0];
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
    input,
    usable.map((u) => u.w),
    step,
    Math.min(t.minBaselineWindows, usable.length),
  );
  // Two kinds of episode: a sharp one (far off for an hour) and a sustained one (a milder shift for hours).
  const sharp = { score: t.episodeScore, minChange: t.episodeMinChange, minMinutes: t.episodeMinMinutes };
  const sustained = {
    score: t.sustainedScore,
    minChange: t.sustainedMinChange,
    minMinutes: t.sustainedMinMinutes,
  };
  // The chart draws the narrower band: whatever leaves it for long enough, or far enough, is an episode.
  const chart = chartOf(profile, bandOf(profile, sustained), windows.current);
  const episodes =
    usable.length < t.minBaselineWindows
      ? []
      : mergeEpisodes([
          ...findEpisodes(input, profile, sharp, step),
          ...findEpisodes(input, profile, sustained, step),
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
  const spikes = findSpikes(
    input,
    usable.map((u) => u.w),
    step,
    profile,
    bandOf(profile, sharp),
  );
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
