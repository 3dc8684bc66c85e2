/** What every renderer shares: ordering, headline and counts. Pure. */
import { formatDay, formatValue, formatChange } from '../report/format';
import type { MetricReport, Report, StackReport, Verdict } from '../report/types';
import { verdictOrder } from '../report/types';

/** Bad first (needs talking about), then unknown, good, normal; by name within a state. */
export function orderedStacks(report: Report): StackReport[] {
  return [...report.stacks].sort(
    (a, b) =>
      verdictOrder.indexOf(a.verdict) - verdictOrder.indexOf(b.verdict) || a.name.localeCompare(b.name),
  );
}

/** "1 bad · 1 good · 5 normal" (unknown only when there is some). */
export function countsLine(summary: Record<Verdict, number>): string {
  const parts = [`${summary.bad} bad`, `${summary.good} good`, `${summary.normal} normal`];
  if (summary.unknown > 0) parts.push(`${summary.unknown} unknown`);
  return parts.join(' · ');
}

/** The report's local date: the day its window ends. */
export function reportDay(report: Report): string {
  return formatDay(Date.parse(report.window.end), report.window.timezone);
}

/** `[scrum-ops] Payments — daily health 2026-11-26 — 1 bad · 1 good · 5 normal` */
export function subjectLine(report: Report): string {
  return `[scrum-ops] ${report.title} ${reportDay(report)} — ${countsLine(report.summary)}`;
}

export function metricCells(m: MetricReport): { current: string; usual: string; change: string } {
  return {
    current: formatValue(m.current, m.unit),
    usual: formatValue(m.baseline, m.unit),
    change: formatChange(m.change),
  };
}

/**
 * A normal stack with something to say: an unknown metric, a bad one too light to turn the stack bad,
 * or data that stopped early. Its reasons are shown, never folded into the compact list of names.
 */
export function hasNotes(stack: StackReport): boolean {
  return (
    stack.verdict === 'normal' &&
    stack.metrics.some((m) => m.verdict === 'bad' || m.verdict === 'unknown' || m.noDataSince !== undefined)
  );
}

/** "vs the same hours on 7 previous days" */
export function baselinePhrase(report: Report): string {
  const { days, mode } = report.baseline;
  return `vs the same hours on ${days} previous ${mode === 'weekly' ? 'weeks' : 'days'}`;
}

/** Only http(s) links are ever rendered as links. */
export function isSafeUrl(url: string): boolean {
  return /^https?:\/\/[^\s<>"']+$/i.test(url);
}

export const verdictLabel: Record<Verdict, string> = {
  bad: 'BAD',
  good: 'GOOD',
  normal: 'NORMAL',
  unknown: 'UNKNOWN',
};
export const verdictEmoji: Record<Verdict, string> = { bad: '🔴', good: '🟢', normal: '⚪', unknown: '🟡' };
