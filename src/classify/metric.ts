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
import { formatChange, formatClock, formatValue } from '../report/format';
import type { ChartData, Episode, MetricReport, Verdict } from '../report/types';
import type { Point } from '../sources/types';
import { aggregate, dailySpread, median, robustSpread } from './stats';

export interface MetricInput {
  spec: MetricSpec;
  /** Points over the whole fetch range, sorted by time; extra points outside the windows are ignored. */
  points: readonly Point[];
  /** Provider-reported spacing; inferred from the points when absent. */
  stepMs?: number;
  windows: ReportWindows;
  /** For clock times in reasons. */
  timezone: string;
  /** Why the source could not deliver this series, if it could not. */
  failure?: string;
}

const minute = 60_000;
/** Relative floor on every spread, so a flat baseline does not turn tiny wiggles into alarms. */
const relativeSpreadFloor = 0.05;

/** Typical spacing of the points: the median gap, which ignores outages and duplicates. */
export function inferStep(points: readonly Point[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < points.length && gaps.length < 2000; i++) {
    const gap = points[i]![0] - points[i - 1]![0];
    if (gap > 0) gaps.push(gap);
  }
  return gaps.length > 0 ? median(gaps) : 5 * minute;
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
function dayProfile(input: MetricInput, baselineWindows: TimeWindow[], step: number): Profile {
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
    (lo, d) => lo.map((v, i) => minOf(v, d[i] ?? null)),
    new Array<number | null>(count).fill(null),
  );
  const dayHigh = perDay.reduce<(number | null)[]>(
    (hi, d) => hi.map((v, i) => maxOf(v, d[i] ?? null)),
    new Array<number | null>(count).fill(null),
  );
  const needDays = Math.min(3, baselineWindows.length);
  // An absolute floor relative to the series' size, so float noise on an all-zero baseline is no episode.
  const scale = Math.max(0, ...pooled.flat().map(Math.abs));
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

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Stretches outside the band, in the bad direction, at the points' own resolution. One point back
 * inside does not end a stretch (noise); a stretch shorter than the rule's minutes is a blip.
 */
function findEpisodes(input: MetricInput, profile: Profile, rule: EpisodeRule, step: number): Episode[] {
  const { current } = input.windows;
  const band = bandOf(profile, rule);
  const minMs = rule.minMinutes * minute;
  const episodes: Episode[] = [];
  let run: { first: number; last: number; peak: number; usual: number; count: number } | undefined;
  let insideSince = 0;
  let previous = -Infinity;
  const close = () => {
    // One reading is a blip whatever the step (hourly data would otherwise make a single point an hour).
    if (run && run.count >= 2 && run.last + step - run.first >= minMs) {
      episodes.push({
        start: new Date(run.first).toISOString(),
        end: new Date(Math.min(current.end, run.last + step)).toISOString(),
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
      (v > m ? v > (profile.dayHigh[i] ?? -Infinity) : v < (profile.dayLow[i] ?? Infinity));
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
function mergeEpisodes(episodes: Episode[]): Episode[] {
  const sorted = [...episodes].sort((a, b) => a.start.localeCompare(b.start));
  const merged: Episode[] = [];
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

function sloText(slo: MetricSpec['slo'], unit: string): string {
  if (!slo) return '';
  const parts: string[] = [];
  if (slo.min !== undefined) parts.push(`≥ ${formatValue(slo.min, unit)}`);
  if (slo.max !== undefined) parts.push(`≤ ${formatValue(slo.max, unit)}`);
  return `objective ${parts.join(' and ')}`;
}

export function classifyMetric(input: MetricInput): MetricReport {
  const { spec, windows, timezone } = input;
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
  const baseline = baselineAggs.length > 0 ? median(baselineAggs) : null;
  const change =
    current !== null && baseline !== null && baseline !== 0
      ? (current - baseline) / Math.abs(baseline)
      : null;
  // The absolute floor keeps float noise on an all-zero baseline from scoring in the thousands.
  const scale = Math.max(...baselineAggs.map(Math.abs), Math.abs(current ?? 0));
  const spread =
    baseline === null
      ? null
      : Math.max(
          dailySpread(baselineAggs, baseline),
          relativeSpreadFloor * Math.abs(baseline),
          1e-6 * scale,
          1e-9,
        );
  const score =
    current !== null && baseline !== null && spread !== null ? (current - baseline) / spread : null;

  // Data that stopped hours before the report time is said even when the rest of the day is enough to judge.
  const lastSeen = [...todayPoints].reverse().find(([, v]) => v !== null)?.[0];
  const silentFor = lastSeen === undefined ? 0 : windows.current.end - (lastSeen + step);
  const stale = lastSeen !== undefined && silentFor >= Math.max(2 * 3_600_000, 6 * step);
  const staleNote = stale ? `; no data since ${formatClock(lastSeen + step, timezone)}` : '';
  const base = {
    id: spec.id,
    label: spec.label,
    unit: spec.unit,
    direction: spec.direction,
    aggregation: spec.aggregation,
    critical: spec.critical,
    weight: spec.weight,
    source: spec.source,
    current,
    baseline,
    change,
    score: score === null ? null : Number(score.toFixed(2)),
    coverage: Number(coverage.toFixed(3)),
    baselineWindows: usable.length,
    baselineValues: baselineAggs.map(round),
    ...(stale ? { noDataSince: new Date(lastSeen + step).toISOString() } : {}),
    ...(spec.slo ? { slo: spec.slo } : {}),
  };
  const fmt = (v: number | null) => formatValue(v, spec.unit);
  const versus = () => {
    const bits = [formatChange(change)];
    if (score !== null && Number.isFinite(score)) bits.push(`${Math.abs(score).toFixed(1)} MAD`);
    return `${spec.label} ${fmt(current)} vs usual ${fmt(baseline)} (${bits.filter((b) => b !== '—').join(', ')})`;
  };
  const result = (
    verdict: Verdict,
    rule: string,
    reason: string,
    episodes: Episode[] = [],
    chart?: ChartData,
  ) => ({
    ...base,
    verdict,
    rule,
    episodes,
    reason: verdict === 'unknown' ? reason : `${reason}${staleNote}`,
    ...(chart ? { chart } : {}),
  });

  if (input.failure) return result('unknown', 'source', `${spec.label}: no data — ${input.failure}`);
  if (coverage < t.minCoverage || current === null) {
    const since =
      lastSeen !== undefined
        ? `no data since ${formatClock(lastSeen + step, timezone)}`
        : 'no data in the window';
    return result(
      'unknown',
      'coverage',
      `${spec.label}: ${since} (${Math.round(coverage * 100)}% of expected points)`,
    );
  }

  const profile = dayProfile(
    input,
    usable.map((u) => u.w),
    step,
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
  const slo = spec.slo;
  if (
    current !== null &&
    slo &&
    ((slo.max !== undefined && current > slo.max) || (slo.min !== undefined && current < slo.min))
  ) {
    const vs = baseline === null ? `${spec.label} ${fmt(current)}` : versus();
    return result('bad', 'slo', `${vs}, ${sloText(slo, spec.unit)} breached`, [], chart);
  }
  if (usable.length < t.minBaselineWindows) {
    return result(
      'unknown',
      'baseline',
      `${spec.label} ${fmt(current)}: only ${usable.length} of ${windows.baselines.length} baseline days have data (needs ${t.minBaselineWindows})`,
      [],
      chart,
    );
  }

  const delta = current - baseline!;
  // Far: a large score, a meaningful change, and no baseline day came close (a level that already
  // held on one of the previous days, such as last Saturday's, is not news).
  const nearest = Math.min(...baselineAggs.map((b) => Math.abs(current - b)));
  const far =
    score !== null &&
    Math.abs(score) >= t.score &&
    (change === null || Math.abs(change) >= t.minChange) &&
    nearest >= (t.score / 2) * spread!;
  const sloNote = slo ? `, ${sloText(slo, spec.unit)}` : '';
  const episodes = mergeEpisodes([
    ...findEpisodes(input, profile, sharp, step),
    ...findEpisodes(input, profile, sustained, step),
  ]);
  const worst = episodes.reduce<Episode | undefined>(
    (a, b) => (a && Math.abs(a.peak - (a.usual ?? 0)) >= Math.abs(b.peak - (b.usual ?? 0)) ? a : b),
    undefined,
  );
  const clock = (iso: string) => formatClock(Date.parse(iso), timezone);
  if (far && isWorse(delta, spec.direction)) {
    const last = episodes[episodes.length - 1];
    const windowEnd = new Date(windows.current.end).toISOString();
    const first = episodes[0];
    const since =
      !first || !last
        ? ''
        : last.end === windowEnd
          ? `, outside the usual band since ${clock(first.start)}${episodes.length > 1 ? ', with breaks' : ''}`
          : `, outside the usual band ${clock(first.start)}–${clock(last.end)}`;
    return result('bad', 'baseline', `${versus()}${sloNote}${since}`, episodes, chart);
  }
  if (worst) {
    const ratio = worst.usual ? worst.peak / worst.usual : null;
    const howFar =
      ratio !== null && ratio > 0 && Number.isFinite(ratio)
        ? `, ${ratio >= 1 ? `${ratio.toFixed(1)}×` : `${Math.round(ratio * 100)}% of`} usual ${fmt(worst.usual)}`
        : ` vs usual ${fmt(worst.usual)}`;
    const more = episodes.length > 1 ? ` (+${episodes.length - 1} more)` : '';
    return result(
      'bad',
      'episode',
      `${spec.label} ${clock(worst.start)}–${clock(worst.end)} at ${fmt(worst.peak)}${howFar}${more}`,
      episodes,
      chart,
    );
  }
  if (far && isBetter(delta, spec.direction))
    return result('good', 'baseline', `${versus()} — better`, [], chart);
  return result('normal', 'baseline', versus(), [], chart);
}
