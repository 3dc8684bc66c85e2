/**
 * Synthetic series for verdict tests: a report at 2026-11-26 09:00 UTC, a 24 h window, 7 daily baseline
 * windows, one point every 5 minutes. Thresholds are fixed here on purpose: the defaults in
 * src/config/load.ts are being tuned and must not move these tables.
 */
import type { MetricSpec, ReportSettings, Thresholds } from '../../src/config/types';
import { reportWindows } from '../../src/plan/windows';
import type { Point } from '../../src/sources/types';

export const thresholds: Thresholds = {
  minCoverage: 0.5,
  minBaselineWindows: 3,
  score: 4,
  minChange: 0.15,
  episodeScore: 5,
  episodeMinChange: 0.3,
  episodeMinMinutes: 30,
  episodeMargin: 0.5,
  spikeMargin: 0.5,
  // The same as the sharp tier, so these tables test one episode rule at a time.
  sustainedScore: 5,
  sustainedMinChange: 0.3,
  sustainedMinMinutes: 30,
};

export const settings: ReportSettings = {
  title: 'Synthetic',
  timezone: 'UTC',
  at: '09:00',
  window: '24h',
  baseline: { mode: 'daily', days: 7, exclude: [] },
  thresholds,
};

export const reportTime = Date.parse('2026-11-26T09:00:00Z');
export const windows = reportWindows(reportTime, settings);
export const stepMs = 5 * 60_000;
export const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/**
 * A value for a point: `day` is 0 for the current window and 1..7 for the baseline days; `offset` is the
 * time since that window's start (09:00 UTC). Return null for a gap the source reported, undefined for no
 * point at all.
 */
export type Shape = (offset: number, day: number) => number | null | undefined;

/** Points over the current window and 8 days before it, sorted. */
export function series(shape: Shape): Point[] {
  const points: Point[] = [];
  const first = windows.current.start - 7 * dayMs;
  for (let t = first; t < reportTime; t += stepMs) {
    const day = Math.floor((reportTime - 1 - t) / dayMs);
    const offset = t - (windows.current.start - day * dayMs);
    const v = shape(offset, day);
    if (v !== undefined) points.push([t, v]);
  }
  return points;
}

/** A deterministic ±0.5% ripple, so "flat" data is never perfectly flat. */
export function wiggle(level: number): Shape {
  return (offset, day) => level * (1 + 0.005 * Math.sin(offset / 1_700_000 + day * 1.3));
}

/** `base` everywhere, and `today` on the current window. */
export function shift(base: number, today: number): Shape {
  return (offset, day) => wiggle(day === 0 ? today : base)(offset, day);
}

/** `base` everywhere, with `value` on the current window from `fromHour` (after 09:00) for `minutes`. */
export function burst(base: number, value: number, fromHour: number, minutes: number): Shape {
  return (offset, day) =>
    day === 0 && offset >= fromHour * hourMs && offset < fromHour * hourMs + minutes * 60_000
      ? value
      : wiggle(base)(offset, day);
}

export function spec(over: Partial<MetricSpec> = {}): MetricSpec {
  return {
    id: 'latency_p95',
    label: 'p95 latency',
    source: 'synthetic',
    query: 'q',
    template: 'q',
    vars: {},
    unit: 's',
    direction: 'lower',
    aggregation: 'mean',
    critical: true,
    weight: 1,
    thresholds,
    ...over,
  };
}
