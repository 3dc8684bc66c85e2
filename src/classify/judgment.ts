/**
 * What the verdict engine returns: data, no words. The report layer (src/report/wording.ts) turns a
 * judgment into the sentence a person reads; the arrow goes one way (report imports classify).
 * Times are epoch ms; values are in the metric's own unit.
 */

export type Verdict = 'good' | 'normal' | 'bad' | 'unknown';

/**
 * The rule that decided the verdict.
 * - `source`   the source could not deliver the series (unknown)
 * - `coverage` the current window holds too few of its expected points (unknown)
 * - `slo`      the window's aggregate breaches an objective (bad)
 * - `baseline` the aggregate compared with the baseline days: far worse (bad), far better (good),
 *              within (normal), or too few baseline days to compare (unknown)
 * - `episode`  a stretch of the day ran outside the band the baseline draws for its time of day (bad)
 * - `spike`    a few readings far above (or below) anything the baseline days did (bad)
 */
export type Rule = 'source' | 'coverage' | 'slo' | 'baseline' | 'episode' | 'spike';

/** A stretch of the current window outside the baseline's band. */
export interface EpisodeSpan {
  /** First reading outside, epoch ms. */
  start: number;
  /** One step after the last reading outside (capped at the window's end), epoch ms. */
  end: number;
  /** Most extreme value inside the stretch. */
  peak: number;
  /** The usual (baseline median) value at the peak's time of day. */
  usual: number | null;
}

/** When the change began: the first reading of the earliest episode, or an estimated change point. */
export interface Onset {
  at: number;
  /** True when no episode marks it and it is a change-point estimate inside the window. */
  estimated: boolean;
}

/** A compact picture of the day for sparklines: the current line over the band the baseline draws. */
export interface ChartData {
  /** Start of the first bucket (the window's start), epoch ms; bucket i starts at start + i × stepMs. */
  start: number;
  /** Bucket length in ms. */
  stepMs: number;
  /** Current window's value per bucket (null: no data). */
  value: (number | null)[];
  /** Baseline band per bucket: low, median, high (null: no baseline). */
  low: (number | null)[];
  mid: (number | null)[];
  high: (number | null)[];
}

export interface MetricJudgment {
  verdict: Verdict;
  rule: Rule;
  /** The window's aggregate; null when there was no data. */
  current: number | null;
  /** Median of the baseline windows' aggregates (the usual value). */
  usual: number | null;
  /** Relative change (current − usual) / |usual|; null when usual is 0 or unknown. */
  change: number | null;
  /** Deviation score: (current − usual) in units of the usual spread (signed; not a plain MAD). */
  score: number | null;
  /** Share of the expected points the window holds, 0..1. */
  coverage: number;
  /** Baseline windows with enough data / asked for / needed for a verdict. */
  baselineWindows: number;
  baselineWindowsWanted: number;
  baselineWindowsNeeded: number;
  /** The aggregate of each usable baseline window, newest first. */
  baselineValues: number[];
  episodes: EpisodeSpan[];
  /** Set on bad verdicts from the baseline, episodes or spikes. */
  onset?: Onset;
  /** The last reading's end, when the series stopped well before the window's end (epoch ms). */
  noDataSince?: number;
  /** The end of the last reading in the window (epoch ms), if any: says since when data is missing. */
  lastSeenEnd?: number;
  /** Why the source could not deliver the series (rule `source`). */
  failure?: string;
  chart?: ChartData;
}
