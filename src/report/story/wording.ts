/**
 * The story's words: when a change began and after which deployment, and how a verdict sits in the
 * fortnight. Pure; small functions so they can join the report's one wording module as they are.
 */
import { formatClock, formatDuration } from '../format';
import type { LinkedEvent, Onset, StackReport, Streak } from '../types';

/** "since 14:45", "since about 14:30" */
export function sinceWords(onset: Onset, timezone: string): string {
  return `since ${onset.estimated ? 'about ' : ''}${formatClock(Date.parse(onset.at), timezone)}`;
}

/** "25 min after deploy checkout-api v2.41.0 (14:20)" */
export function afterWords(event: LinkedEvent, timezone: string): string {
  const what = event.kind === 'deployment' ? 'deploy' : 'alert';
  return `${formatDuration(event.minutesBefore * 60_000)} after ${what} ${event.title} (${formatClock(Date.parse(event.at), timezone)})`;
}

/**
 * The reason with its onset and the nearest linked deployment (else alert):
 * `p95 latency 414 ms vs usual 291 ms (+42%) since 14:45 — 25 min after deploy checkout-api v2.41.0 (14:20)`.
 * The onset is not repeated when the reason already gives that clock time (an episode's range).
 */
export function linkedReason(
  reason: string,
  onset: Onset,
  linked: readonly LinkedEvent[],
  timezone: string,
): string {
  const clock = formatClock(Date.parse(onset.at), timezone);
  const since = reason.includes(clock) ? '' : ` ${sinceWords(onset, timezone)}`;
  const cause = linked.find((e) => e.kind === 'deployment') ?? linked[0];
  // One dash a sentence: a reason that already has one ("… — better") takes a comma.
  const dash = reason.includes(' — ') ? ', ' : ' — ';
  return `${reason}${since}${cause ? `${dash}${afterWords(cause, timezone)}` : ''}`;
}

const ordinals = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
];

/** 3 → "third", 12 → "12th" */
export function ordinal(n: number): string {
  return ordinals[n - 1] ?? `${n}th`;
}

/** "new today", "bad for 3 days", "recovered: bad yesterday", "flapping: bad on 4 of the last 7 days" */
export function streakWords(streak: Streak): string {
  switch (streak.kind) {
    case 'new':
      return 'new today';
    case 'bad':
      if (streak.days <= 1) return 'bad today; the day before has no verdict';
      return `bad for ${streak.days} days${streak.unknownBefore ? ' (no verdict the day before)' : ''}`;
    case 'recovered':
      return 'recovered: bad yesterday';
    case 'flapping':
      return `flapping: bad on ${streak.days} of the last 7 days`;
  }
}

/**
 * What the counts line adds about streaks: the bad stacks' breakdown ("1 new, 1 third day") and the
 * recovered ones. Empty strings when the report carries no history.
 */
export function streakCounts(stacks: readonly StackReport[]): { bad: string; recovered: string } {
  const parts = new Map<string, number>();
  let recovered = 0;
  for (const s of stacks) {
    const streak = s.streak;
    if (!streak) continue;
    if (streak.kind === 'recovered') recovered += 1;
    if (s.verdict !== 'bad') continue;
    const label =
      streak.kind === 'new'
        ? 'new'
        : streak.kind === 'flapping'
          ? 'flapping'
          : streak.days > 1
            ? `${ordinal(streak.days)} day`
            : 'after a day without data';
    parts.set(label, (parts.get(label) ?? 0) + 1);
  }
  return {
    bad: [...parts].map(([label, n]) => `${n} ${label}`).join(', '),
    recovered: recovered > 0 ? `${recovered} recovered` : '',
  };
}

/** The streak in a word or two, for tight spots (the calendar, a list of names): "new", "day 3". */
export function streakTag(streak: Streak): string {
  switch (streak.kind) {
    case 'new':
      return 'new';
    case 'bad':
      return streak.days > 1 ? `day ${streak.days}` : 'bad, day before unknown';
    case 'recovered':
      return 'recovered';
    case 'flapping':
      return 'flapping';
  }
}
