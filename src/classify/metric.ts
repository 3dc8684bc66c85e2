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
import { aggregate, madToSigma, median, robustSpread } from './stats';

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
function bucketMeans(points: readonly Point[], w: TimeWindow, bucketMs: number, count: number): (number | null)[] {
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
  current: (number | null)[];
  mid: (number | null)[];
  /** Half-width of the band per bucket: how far from `mid` a bucket must be to count as outside. */
  reach: (number | null)[];
  spread: (number | null)[];
}

/** The baseline's picture of the day: per time-of-day bucket, its median and how far it usually strays. */
function dayProfile(input: MetricInput, baselineWindows: TimeWindow[], step: number): Profile {
  const { current } = input.windows;
  const t = input.spec.thresholds;
  const bucketMs = Math.max(step, 15 * minute);
  const count = Math.ceil((current.end - current.start) / bucketMs);
  const today = bucketMeans(cut(input.points, current), current, bucketMs, count);
  const days = baselineWindows.map((w) => bucketMeans(cut(input.points, w), w, bucketMs, count));

  const mid: (number | null)[] = [];
  const ownSpread: (number | null)[] = [];
  const residuals: number[] = [];
  for (let i = 0; i < count; i++) {
    const xs = days.map((d) => d[i]).filter((v): v is number => v !== null && v !== undefined);
    if (xs.length < Math.min(3, baselineWindows.length)) {
      mid.push(null);
      ownSpread.push(null);
      continue;
    }
    const m = median(xs);
    mid.push(m);
    ownSpread.push(robustSpread(xs, m));
    for (const x of xs) residuals.push(Math.abs(x - m));
  }
  // Seven values per bucket make a shaky spread; the day-to-day scatter pooled over all buckets steadies it.
  const pooled = residuals.length > 0 ? madToSigma * median(residuals) : 0;
  const spread = mid.map((m, i) =>
    m === null ? null : Math.max(ownSpread[i]!, pooled, relativeSpreadFloor * Math.abs(m), 1e-12),
  );
  const reach = spread.map((s, i) =>
    s === null ? null : Math.max(t.episodeScore * s, t.episodeMinChange * Math.abs(mid[i]!)),
  );
  return { bucketMs, current: today, mid, reach, spread };
}

/** Sustained stretches outside the band in the bad direction. */
function findEpisodes(input: MetricInput, profile: Profile): Episode[] {
  const { current } = input.windows;
  const minBuckets = Math.max(1, Math.ceil((input.spec.thresholds.episodeMinMinutes * minute) / profile.bucketMs));
  const outside = profile.current.map((v, i) => {
    const m = profile.mid[i];
    const reach = profile.reach[i];
    if (v === null || v === undefined || m === null || m === undefined || reach === null || reach === undefined) {
      return false;
    }
    return Math.abs(v - m) >= reach && isWorse(v - m, input.spec.direction);
  });
  const episodes: Episode[] = [];
  let runStart = -1;
  for (let i = 0; i <= outside.length; i++) {
    if (i < outside.length && outside[i]) {
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0 && i - runStart >= minBuckets) {
      let peakIndex = runStart;
      for (let j = runStart; j < i; j++) {
        const dj = Math.abs(profile.current[j]! - profile.mid[j]!);
        if (dj > Math.abs(profile.current[peakIndex]! - profile.mid[peakIndex]!)) peakIndex = j;
      }
      const start = current.start + runStart * profile.bucketMs;
      const end = Math.min(current.end, current.start + i * profile.bucketMs);
      episodes.push({
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        peak: profile.current[peakIndex]!,
        usual: profile.mid[peakIndex] ?? null,
      });
    }
    runStart = -1;
  }
  return episodes;
}

function chartOf(profile: Profile, window: TimeWindow): ChartData {
  return {
    t: profile.current.map((_, i) => window.start + i * profile.bucketMs),
    value: profile.current.map((v) => (v === null ? null : round(v))),
    low: profile.mid.map((m, i) => (m === null ? null : round(m - profile.reach[i]!))),
    mid: profile.mid.map((m) => (m === null ? null : round(m))),
    high: profile.mid.map((m, i) => (m === null ? null : round(m + profile.reach[i]!))),
  };
}

/** Keep report JSON small: six significant digits are plenty for a chart. */
function round(v: number): number {
  return Number(v.toPrecision(6));
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
  const expected = Math.max(1, Math.round((windows.current.end - windows.current.start) / step));
  const todayPoints = cut(input.points, windows.current);
  const todayValues = values(todayPoints);
  const coverageRatio = todayValues.length / expected;
  const coverage = Math.min(1, coverageRatio);
  const current = todayValues.length > 0 ? aggregate(todayValues, spec.aggregation, coverageRatio) : null;

  const usable = windows.baselines
    .map((w) => ({ w, vs: values(cut(input.points, w)) }))
    .filter(({ w, vs }) => vs.length / Math.max(1, Math.round((w.end - w.start) / step)) >= t.minCoverage);
  const baselineAggs = usable.map(({ w, vs }) =>
    aggregate(vs, spec.aggregation, vs.length / Math.max(1, Math.round((w.end - w.start) / step))),
  );
  const baseline = baselineAggs.length > 0 ? median(baselineAggs) : null;
  const change = current !== null && baseline !== null && baseline !== 0 ? (current - baseline) / Math.abs(baseline) : null;
  const dailySpread =
    baseline === null
      ? null
      : Math.max(robustSpread(baselineAggs, baseline), relativeSpreadFloor * Math.abs(baseline), 1e-12);
  const score = current !== null && baseline !== null && dailySpread !== null ? (current - baseline) / dailySpread : null;

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
    ...(spec.slo ? { slo: spec.slo } : {}),
  };
  const fmt = (v: number | null) => formatValue(v, spec.unit);
  const versus = () => {
    const bits = [formatChange(change)];
    if (score !== null && Number.isFinite(score)) bits.push(`${Math.abs(score).toFixed(1)} MAD`);
    return `${spec.label} ${fmt(current)} vs usual ${fmt(baseline)} (${bits.filter((b) => b !== '—').join(', ')})`;
  };
  const result = (verdict: Verdict, rule: string, reason: string, episodes: Episode[] = [], chart?: ChartData) => ({
    ...base,
    verdict,
    rule,
    episodes,
    reason,
    ...(chart ? { chart } : {}),
  });

  if (input.failure) return result('unknown', 'source', `${spec.label}: no data — ${input.failure}`);
  if (coverage < t.minCoverage) {
    const last = todayPoints.filter(([, v]) => v !== null).pop();
    const since = last ? `no data since ${formatClock(last[0] + step, timezone)}` : 'no data in the window';
    return result(
      'unknown',
      'coverage',
      `${spec.label}: ${since} (${Math.round(coverage * 100)}% of expected points)`,
    );
  }

  const profile = dayProfile(input, usable.map((u) => u.w), step);
  const chart = chartOf(profile, windows.current);
  const slo = spec.slo;
  if (current !== null && slo && ((slo.max !== undefined && current > slo.max) || (slo.min !== undefined && current < slo.min))) {
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

  const delta = current! - baseline!;
  const far = score !== null && Math.abs(score) >= t.score && (change === null || Math.abs(change) >= t.minChange);
  const sloNote = slo ? `, ${sloText(slo, spec.unit)}` : '';
  if (far && isWorse(delta, spec.direction)) return result('bad', 'baseline', `${versus()}${sloNote}`, [], chart);

  const episodes = findEpisodes(input, profile);
  if (episodes.length > 0) {
    const worst = episodes.reduce((a, b) => (Math.abs(b.peak - (b.usual ?? 0)) > Math.abs(a.peak - (a.usual ?? 0)) ? b : a));
    const span = `${formatClock(Date.parse(worst.start), timezone)}–${formatClock(Date.parse(worst.end), timezone)}`;
    const ratio = worst.usual ? worst.peak / worst.usual : null;
    const howFar = ratio !== null && ratio > 0 && Number.isFinite(ratio) ? `, ${ratio >= 1 ? `${ratio.toFixed(1)}×` : `${Math.round(ratio * 100)}% of`} usual ${fmt(worst.usual)}` : ` vs usual ${fmt(worst.usual)}`;
    const more = episodes.length > 1 ? ` (+${episodes.length - 1} more)` : '';
    return result('bad', 'episode', `${spec.label} ${span} at ${fmt(worst.peak)}${howFar}${more}`, episodes, chart);
  }
  if (far && isBetter(delta, spec.direction)) return result('good', 'baseline', `${versus()} — better`, [], chart);
  return result('normal', 'baseline', versus(), [], chart);
}
