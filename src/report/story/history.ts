/**
 * Day over day with no state: the report judges the previous report times from the same fetch with
 * the same rules, and each stack carries that fortnight and its streak. Pure.
 */
import type { HistoryDay, Report, StackReport, Streak, Verdict } from '../types';

/** Report times in a history, today included: the 14-day calendar. */
export const historyDays = 14;
/** Flapping looks at this many days, today included. */
const flappingSpan = 7;
const flappingMin = 3;

/** Today's streak from the verdicts of the fortnight, oldest first, today last. */
export function streakOf(verdicts: readonly Verdict[]): Streak | undefined {
  const n = verdicts.length;
  if (n < 2) return undefined;
  const today = verdicts[n - 1]!;
  const yesterday = verdicts[n - 2]!;
  const lastWeek = verdicts.slice(-flappingSpan);
  const badDays = lastWeek.filter((v) => v === 'bad').length;
  const first = lastWeek.indexOf('bad');
  const inARow = first >= 0 && lastWeek.slice(first, first + badDays).every((v) => v === 'bad');
  const flapping: Streak | undefined =
    badDays >= flappingMin && !inARow ? { kind: 'flapping', days: badDays } : undefined;

  if (today === 'bad') {
    let run = 0;
    while (run < n && verdicts[n - 1 - run] === 'bad') run += 1;
    const before = verdicts[n - 1 - run];
    const unknownBefore = before === 'unknown' ? { unknownBefore: true } : {};
    if (run >= 2) return { kind: 'bad', days: run, ...unknownBefore };
    if (flapping) return flapping;
    // Bad after a day without a verdict: it may not be new, and the report does not pretend it is.
    if (yesterday === 'unknown') return { kind: 'bad', days: 1, unknownBefore: true };
    return { kind: 'new', days: 1 };
  }
  if (flapping) return flapping;
  if (yesterday === 'bad' && (today === 'good' || today === 'normal')) return { kind: 'recovered', days: 0 };
  return undefined;
}

/**
 * The report with every stack's history and streak. `earlier` holds the reports of the previous
 * report times (any order; those of other times are ignored); a day with no report, or a stack the
 * day's report lacks, is `unknown`.
 */
export function withHistory(
  report: Report,
  times: readonly number[],
  earlier: ReadonlyMap<number, Report>,
): Report {
  const byTime = new Map<number, Map<string, Verdict>>();
  for (const t of times) {
    const r = earlier.get(t);
    byTime.set(t, new Map(r ? r.stacks.map((s) => [s.id, s.verdict]) : []));
  }
  const stacks = report.stacks.map((stack): StackReport => {
    const history: HistoryDay[] = times.map((t) => ({
      at: new Date(t).toISOString(),
      verdict: byTime.get(t)!.get(stack.id) ?? 'unknown',
    }));
    history.push({ at: report.window.end, verdict: stack.verdict });
    const streak = streakOf(history.map((d) => d.verdict));
    return { ...stack, history, ...(streak ? { streak } : {}) };
  });
  return { ...report, stacks };
}
