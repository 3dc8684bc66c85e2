/** What every renderer shares: ordering, headline and counts. Pure. */
import { formatDay, formatDuration, formatEventTime, formatValue, formatChange } from '../report/format';
import type {
  DeliverySection,
  DeliveryTally,
  EventItem,
  MetricReport,
  OnCallReport,
  Report,
  StackReport,
  Verdict,
} from '../report/types';
import { verdictOrder } from '../report/types';
import { streakCounts } from '../report/story/wording';

/** Bad first (needs talking about), then unknown, good, normal; by name within a state. */
export function orderedStacks(report: Report): StackReport[] {
  return [...report.stacks].sort(
    (a, b) =>
      verdictOrder.indexOf(a.verdict) - verdictOrder.indexOf(b.verdict) || a.name.localeCompare(b.name),
  );
}

/**
 * "1 bad · 1 good · 5 normal" (unknown only when there is some); with the stacks' streaks,
 * "2 bad (1 new, 1 third day) · 1 recovered · 1 good · 4 normal".
 */
export function countsLine(summary: Record<Verdict, number>, stacks: readonly StackReport[] = []): string {
  const streaks = streakCounts(stacks);
  const parts = [`${summary.bad} bad${streaks.bad ? ` (${streaks.bad})` : ''}`];
  if (streaks.recovered) parts.push(streaks.recovered);
  parts.push(`${summary.good} good`, `${summary.normal} normal`);
  if (summary.unknown > 0) parts.push(`${summary.unknown} unknown`);
  return parts.join(' · ');
}

/** The report's local date: the day its window ends. */
export function reportDay(report: Report): string {
  return formatDay(Date.parse(report.window.end), report.window.timezone);
}

/** `[scrum-ops] Payments — daily health 2026-11-26 — 1 bad · 1 good · 5 normal` */
export function subjectLine(report: Report): string {
  return `[scrum-ops] ${report.title} ${reportDay(report)} — ${countsLine(report.summary, report.stacks)}`;
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
 * data that stopped early, or an events search that failed. Its reasons are shown, never folded into
 * the compact list of names.
 */
export function hasNotes(stack: StackReport): boolean {
  return (
    stack.verdict === 'normal' &&
    (stack.metrics.some(
      (m) => m.verdict === 'bad' || m.verdict === 'unknown' || m.noDataSince !== undefined,
    ) ||
      Object.values(stack.events).some((e) => eventsFailed(e)))
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

/** Longest reason shown for an unknown on-call; the full one is in the source's health. */
const onCallReasonMax = 160;

/**
 * One team's on-call, without the team: "Ada Lovelace, Grace Hopper (Payments primary)",
 * "nobody (Payments primary)", or "unknown (source "pd": not authenticated …)". Names only.
 */
export function onCallText(o: OnCallReport): string {
  if (o.status === 'unknown') {
    const reason = (o.reason ?? 'not known').replace(/\s+/g, ' ');
    return `unknown (${reason.length > onCallReasonMax ? `${reason.slice(0, onCallReasonMax - 1)}…` : reason})`;
  }
  const who = o.names.length > 0 ? o.names.join(', ') : 'nobody';
  return o.of ? `${who} (${o.of})` : who;
}

/** An incident's state beside its title: "high urgency, resolved Wed 10:42" or "low urgency, open". */
export function incidentState(item: EventItem, timezone: string): string | undefined {
  if (item.urgency === undefined && item.resolvedAt === undefined) return undefined;
  const parts: string[] = [];
  if (item.urgency) parts.push(`${item.urgency} urgency`);
  parts.push(item.resolvedAt ? `resolved ${formatEventTime(Date.parse(item.resolvedAt), timezone)}` : 'open');
  return parts.join(', ');
}

/** "1 incident" / "3 deployments": a count of events of a kind. */
export function eventCount(kind: string, n: number): string {
  return `${n} ${n === 1 ? kind.replace(/s$/, '') : kind}`;
}

/** True when the events search failed: its counts are unknown and must never read as 0. */
export function eventsFailed(summary: { status?: string } | undefined): boolean {
  return summary?.status === 'failed';
}

/** The words every renderer uses for a failed events search: "deployments: unknown (search failed)". */
export function eventsUnknownText(kind: string): string {
  return `${kind}: unknown (search failed)`;
}

/** "incidents: unknown (search failed)" for each events search of the stack that failed. */
export function failedEventsTexts(stack: StackReport): string[] {
  return Object.entries(stack.events)
    .filter(([, summary]) => eventsFailed(summary))
    .map(([kind]) => eventsUnknownText(kind));
}

/**
 * What a stack shown in short form (a normal stack with notes) must still say: its reasons, then
 * its failed events searches, which would otherwise vanish with the events section.
 */
export function stackNotes(stack: StackReport): string[] {
  return [...stack.reasons, ...failedEventsTexts(stack)];
}

/** "2 h", or "each stack's deployLink" when the counted stacks differ. */
export function deployLinkWords(t: Pick<DeliveryTally, 'deployLinkMinutes'>): string {
  return t.deployLinkMinutes === undefined
    ? "each stack's deployLink"
    : formatDuration(t.deployLinkMinutes * 60_000);
}

/**
 * The change-failure estimate, labelled as what it is:
 * "deploys followed by a bad stretch within 2 h: 1 of 9". Undefined when no deploy was counted.
 */
export function followedWords(t: DeliveryTally): string | undefined {
  if (t.stacks === 0) return undefined;
  return `deploys followed by a bad stretch within ${deployLinkWords(t)}: ${t.followedByBad} of ${t.total}`;
}

/**
 * One line for a team or the fleet: "11 deploys in 14 days (3 stacks) · deploys followed by a bad
 * stretch within 2 h: 2 of 11", with what is unknown said, never shown as zero.
 */
export function deliveryLine(t: DeliveryTally, days: number): string {
  const unknown = t.unknownStacks.length;
  const failed = unknown
    ? `deployment search failed for ${plural(unknown, 'stack')} (${t.unknownStacks.slice(0, 5).join(', ')}${unknown > 5 ? ', …' : ''})`
    : '';
  if (t.stacks === 0) return `deploys: unknown — ${failed}`;
  const count = `${plural(t.total, 'deploy')} in ${days} days (${plural(t.stacks, 'stack')})`;
  const partial = unknown ? ` · partial: ${failed}, not counted` : '';
  const gaps = t.perDay.some((c) => c === null) ? ' · some days unknown' : '';
  return `${count} · ${followedWords(t)!}${gaps}${partial}`;
}

/** The section's rows: the whole report first when it spans several teams (or stacks without one). */
export function deliveryRows(section: DeliverySection): { name: string; tally: DeliveryTally }[] {
  const teams = section.teams.map((t) => ({ name: t.team, tally: t }));
  const teamStacks = section.teams.reduce((n, t) => n + t.stacks + t.unknownStacks.length, 0);
  const fleetStacks = section.fleet.stacks + section.fleet.unknownStacks.length;
  if (teams.length === 1 && teamStacks === fleetStacks) return teams;
  return [{ name: teams.length ? 'all teams' : 'all stacks', tally: section.fleet }, ...teams];
}

/** What the estimate is, for a footnote under the section. */
export const deliveryNote =
  "A deploy counts as followed by a bad stretch when a metric of its stack that was bad that day began its change at most deployLink after it: an estimate of the change-failure rate from the report's own data. Stacks without a deployment source are left out.";

/** Bars in one line of text: "·▁▃·█?" (· none, ? unknown), oldest first. */
export function textBars(perDay: readonly (number | null)[]): string {
  const blocks = '▁▂▃▄▅▆▇█';
  const max = Math.max(1, ...perDay.map((c) => c ?? 0));
  return perDay
    .map((c) => (c === null ? '?' : c === 0 ? '·' : blocks[Math.min(7, Math.ceil((c / max) * 8) - 1)]!))
    .join('');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
