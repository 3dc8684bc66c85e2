/**
 * The one place that turns the verdict engine's judgments into sentences (design §5: current value,
 * usual value, change, and the rule that fired, readable at a glance). Pure.
 */
import type { EpisodeSpan, MetricJudgment } from '../classify/judgment';
import type { Verdict } from '../classify/judgment';
import { formatChange, formatClock, formatValue } from './format';

/** What a sentence needs to know about the metric and the report, beside the judgment. */
export interface WordingContext {
  label: string;
  unit: string;
  slo?: { min?: number; max?: number };
  /** Clock times are said in the report's zone. */
  timezone: string;
  /** The current window's end, epoch ms: an episode that reaches it is still going on. */
  windowEnd: number;
}

/** "objective ≥ 99.5% and ≤ 500 ms" */
export function objectiveText(slo: WordingContext['slo'], unit: string): string {
  if (!slo) return '';
  const parts: string[] = [];
  if (slo.min !== undefined) parts.push(`≥ ${formatValue(slo.min, unit)}`);
  if (slo.max !== undefined) parts.push(`≤ ${formatValue(slo.max, unit)}`);
  return `objective ${parts.join(' and ')}`;
}

/** "4.1× the usual spread": how far the aggregate sits from the usual value, in its usual day-to-day spread. */
export function spreadText(score: number | null): string | undefined {
  return score === null || !Number.isFinite(score)
    ? undefined
    : `${Math.abs(score).toFixed(1)}× the usual spread`;
}

/** "p95 latency 412 ms vs usual 280 ms (+47%, 5.2× the usual spread)" */
function versus(j: MetricJudgment, c: WordingContext): string {
  const bits = [formatChange(j.change), spreadText(j.score)].filter((b) => b !== undefined && b !== '—');
  const numbers = bits.length > 0 ? ` (${bits.join(', ')})` : '';
  return `${c.label} ${formatValue(j.current, c.unit)} vs usual ${formatValue(j.usual, c.unit)}${numbers}`;
}

/** "3.0× usual 300 ms", "20% of usual 100 req/s" */
function peakVersusUsual(e: EpisodeSpan, unit: string): string {
  const ratio = e.usual ? e.peak / e.usual : null;
  return ratio !== null && ratio > 0 && Number.isFinite(ratio)
    ? `, ${ratio >= 1 ? `${ratio.toFixed(1)}×` : `${Math.round(ratio * 100)}% of`} usual ${formatValue(e.usual, unit)}`
    : ` vs usual ${formatValue(e.usual, unit)}`;
}

/** The episode farthest from its usual value (the first one on a tie). */
export function worstEpisode(episodes: readonly EpisodeSpan[]): EpisodeSpan | undefined {
  let worst: EpisodeSpan | undefined;
  for (const e of episodes)
    if (!worst || Math.abs(e.peak - (e.usual ?? 0)) > Math.abs(worst.peak - (worst.usual ?? 0))) worst = e;
  return worst;
}

/** The sentence for one metric's judgment. */
export function metricReason(j: MetricJudgment, c: WordingContext): string {
  const clock = (t: number) => formatClock(t, c.timezone);
  const value = (v: number | null) => formatValue(v, c.unit);
  const staleNote = j.noDataSince !== undefined ? `; no data since ${clock(j.noDataSince)}` : '';
  const objective = objectiveText(c.slo, c.unit);
  switch (j.rule) {
    case 'source':
      return `${c.label}: no data — ${j.failure ?? 'the source failed'}`;
    case 'coverage': {
      const since =
        j.lastSeenEnd !== undefined ? `no data since ${clock(j.lastSeenEnd)}` : 'no data in the window';
      return `${c.label}: ${since} (${Math.round(j.coverage * 100)}% of expected points)`;
    }
    case 'slo': {
      const head = j.usual === null ? `${c.label} ${value(j.current)}` : versus(j, c);
      return `${head}, ${objective} breached${staleNote}`;
    }
    case 'episode':
    case 'spike': {
      const worst = worstEpisode(j.episodes);
      if (!worst) return `${versus(j, c)}${staleNote}`;
      const more = j.episodes.length > 1 ? ` (+${j.episodes.length - 1} more)` : '';
      const when =
        worst.end - worst.start <= 0 ? clock(worst.start) : `${clock(worst.start)}–${clock(worst.end)}`;
      return `${c.label} ${when} at ${value(worst.peak)}${peakVersusUsual(worst, c.unit)}${more}${staleNote}`;
    }
    case 'baseline': {
      if (j.verdict === 'unknown')
        return `${c.label} ${value(j.current)}: only ${j.baselineWindows} of ${j.baselineWindowsWanted} baseline days have data (needs ${j.baselineWindowsNeeded})`;
      const sloNote = objective ? `, ${objective}` : '';
      if (j.verdict === 'good') return `${versus(j, c)} — better${staleNote}`;
      if (j.verdict === 'normal') return `${versus(j, c)}${staleNote}`;
      return `${versus(j, c)}${sloNote}${sinceText(j, c, clock)}${staleNote}`;
    }
  }
}

/** ", outside the usual band since 15:00" or ", outside the usual band 14:05–16:30" for a bad day. */
function sinceText(j: MetricJudgment, c: WordingContext, clock: (t: number) => string): string {
  const first = j.episodes[0];
  const last = j.episodes[j.episodes.length - 1];
  if (!first || !last) return j.onset?.estimated ? `, changed around ${clock(j.onset.at)}` : '';
  if (last.end >= c.windowEnd)
    return `, outside the usual band since ${clock(first.start)}${j.episodes.length > 1 ? ', with breaks' : ''}`;
  return `, outside the usual band ${clock(first.start)}–${clock(last.end)}`;
}

/** What stackReasons reads of each metric. */
export interface ReasonedMetric {
  verdict: Verdict;
  reason: string;
  noDataSince?: string;
}

/** The lines that explain a stack's verdict: what drove it first, then every metric left unjudged. */
export function stackReasons(verdict: Verdict, metrics: readonly ReasonedMetric[]): string[] {
  const of = (v: Verdict) => metrics.filter((m) => m.verdict === v).map((m) => m.reason);
  // Metrics judged on data that stopped early are said too, whatever their verdict.
  const stale = metrics.filter((m) => m.noDataSince && m.verdict === 'normal').map((m) => m.reason);
  const unknown = [...of('unknown'), ...stale];
  switch (verdict) {
    case 'bad':
      return [...of('bad'), ...unknown];
    case 'good':
      return [...of('good'), ...unknown];
    case 'unknown':
      return unknown;
    case 'normal': {
      // A bad metric too light to turn the stack bad is still said, never hidden behind "normal".
      const notes = [...of('bad'), ...unknown];
      return notes.length > 0 ? notes : [`all ${metrics.length} metrics within their usual range`];
    }
  }
}

/** Readings outside a metric's declared min/max are left out as impossible: `3 readings outside 0–1 left out as invalid`. */
export function invalidReadingsText(
  invalid: number,
  min: number | undefined,
  max: number | undefined,
): string {
  const range =
    min !== undefined && max !== undefined ? `${min}–${max}` : min !== undefined ? `≥ ${min}` : `≤ ${max}`;
  return `${invalid} reading${invalid === 1 ? '' : 's'} outside ${range} left out as invalid`;
}
