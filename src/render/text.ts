/** The plain-text report: the email's text part, `report.txt`, and the CLI's one-screen summary. Pure. */
import { formatEventTime, formatWindow } from '../report/format';
import { streakWords } from '../report/story/wording';
import type { EventItem, Report, StackReport } from '../report/types';
import {
  baselinePhrase,
  countsLine,
  deliveryLine,
  deliveryNote,
  deliveryRows,
  eventCount,
  eventsFailed,
  eventsUnknownText,
  hasNotes,
  incidentState,
  onCallText,
  orderedStacks,
  reportDay,
  textBars,
  verdictLabel,
} from './common';

function sourceLine(s: Report['sources'][number]): string {
  const retries = s.retries > 0 ? `, ${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}` : '';
  return `${s.id} (${s.type}): ${s.status}, ${s.requests} request${s.requests === 1 ? '' : 's'}${retries}`;
}

function eventsLine(stack: StackReport): string | undefined {
  const parts: string[] = [];
  for (const [kind, summary] of Object.entries(stack.events)) {
    if (eventsFailed(summary)) parts.push(eventsUnknownText(kind));
    else if (summary) parts.push(`${eventCount(kind, summary.window)} (14 d: ${summary.last14d})`);
  }
  return parts.length > 0 ? `in the window: ${parts.join(', ')}` : undefined;
}

/** " ← before p95 latency" for an event linked to a metric's onset. */
function linkedNote(item: EventItem): string {
  return item.linkedTo?.length ? ` ← before ${item.linkedTo.join(', ')}` : '';
}

/** `detail: false` gives the short form for a terminal: headline, then one line per stack. */
export function renderText(report: Report, options: { detail?: boolean } = {}): string {
  const detail = options.detail ?? true;
  const { start, end, timezone } = report.window;
  const lines = [
    `${report.title} — ${reportDay(report)}`,
    countsLine(report.summary, report.stacks),
    `Window ${formatWindow(Date.parse(start), Date.parse(end), timezone)}, ${baselinePhrase(report)}`,
    ...(report.onCall ?? []).map((o) => `On call, ${o.team}: ${onCallText(o)}`),
    '',
  ];
  const stacks = orderedStacks(report);
  const normal = stacks.filter((s) => s.verdict === 'normal' && !hasNotes(s));
  for (const stack of stacks) {
    if (normal.includes(stack)) continue;
    const team = stack.team ? ` (${stack.team})` : '';
    const streak = stack.streak ? ` — ${streakWords(stack.streak)}` : '';
    lines.push(`${verdictLabel[stack.verdict]}  ${stack.name}${team}${streak}`);
    for (const reason of stack.reasons) lines.push(`  - ${reason}`);
    if (detail) {
      const events = eventsLine(stack);
      if (events) lines.push(`  ${events}`);
      for (const item of [
        ...(stack.events.incidents?.items ?? []),
        ...(stack.events.deployments?.items ?? []),
        ...(stack.events.alerts?.items ?? []),
      ].slice(0, 3)) {
        const state = incidentState(item, report.window.timezone);
        lines.push(
          `    ${formatEventTime(Date.parse(item.at), report.window.timezone)} ${item.title}${state ? ` (${state})` : ''}${linkedNote(item)}`,
        );
      }
      for (const [name, url] of Object.entries(stack.links)) lines.push(`  ${name}: ${url}`);
    }
    lines.push('');
  }
  if (normal.length > 0) {
    const named = normal.map((s) => (s.streak ? `${s.name} (${streakWords(s.streak)})` : s.name));
    lines.push(`NORMAL  ${named.join(', ')}`, '');
  }
  // The terminal's short form leaves it out: one screen, verdicts only.
  if (detail && report.delivery) {
    const days = report.delivery.days.length || report.delivery.fleet.perDay.length;
    lines.push(`How we ship, last ${days} days (deploys a day, oldest first; · none, ? unknown):`);
    for (const { name, tally } of deliveryRows(report.delivery)) {
      const bars = tally.stacks > 0 ? `${textBars(tally.perDay)} ` : '';
      lines.push(`  ${name}: ${bars}${deliveryLine(tally, days)}`);
    }
    lines.push(`  ${deliveryNote}`);
    lines.push('');
  }
  if (detail) {
    lines.push('Data: ' + report.sources.map(sourceLine).join('; '));
    for (const s of report.sources) for (const e of s.errors.slice(0, 3)) lines.push(`  ${s.id}: ${e}`);
    lines.push(
      "How: each metric's day is compared with the same hours on previous days (median and a robust spread); objectives breached or long stretches outside the usual band are bad.",
    );
  }
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}
