/** A stack's verdict from its metrics' verdicts (design §5). Pure. */
import type { MetricReport, Verdict } from '../report/types';

export function stackVerdict(metrics: readonly MetricReport[]): Verdict {
  const critical = metrics.filter((m) => m.critical);
  const totalWeight = metrics.reduce((sum, m) => sum + m.weight, 0);
  const badWeight = metrics.filter((m) => m.verdict === 'bad').reduce((sum, m) => sum + m.weight, 0);
  if (critical.some((m) => m.verdict === 'bad') || (totalWeight > 0 && badWeight >= totalWeight / 2))
    return 'bad';
  // Without critical metrics, a stack whose every metric is unknown is unknown too: never "normal" without data.
  const judged = critical.length > 0 ? critical : metrics;
  if (judged.length === 0 || judged.every((m) => m.verdict === 'unknown')) return 'unknown';
  if (badWeight === 0 && metrics.some((m) => m.verdict === 'good')) return 'good';
  return 'normal';
}

/** The lines that explain a stack's verdict: what drove it first, then every metric left unjudged. */
export function stackReasons(verdict: Verdict, metrics: readonly MetricReport[]): string[] {
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
