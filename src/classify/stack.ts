/** A stack's verdict from its metrics' verdicts (design §5). Pure. */
import type { Verdict } from './judgment';

/** What the stack rule reads of each metric. */
export interface WeighedVerdict {
  verdict: Verdict;
  critical: boolean;
  weight: number;
}

export function stackVerdict(metrics: readonly WeighedVerdict[]): Verdict {
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
