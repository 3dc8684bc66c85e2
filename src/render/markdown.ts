/** The Markdown report: `report.md` and the GitHub job summary. Everything from outside is escaped. Pure. */
import { formatEventTime, formatWindow } from '../report/format';
import { streakWords } from '../report/story/wording';
import type { Report, StackReport } from '../report/types';
import {
  eventsFailed,
  eventsUnknownText,
  baselinePhrase,
  countsLine,
  deliveryLine,
  deliveryNote,
  deliveryRows,
  textBars,
  eventCount,
  hasNotes,
  stackNotes,
  incidentState,
  isSafeUrl,
  metricCells,
  onCallText,
  orderedStacks,
  reportDay,
  verdictEmoji,
  verdictLabel,
} from './common';

/** Text from outside (names, labels, titles) as literal Markdown: no markup, no HTML, no table breaks. */
export function escapeMarkdown(text: string): string {
  // Only what can open markup mid-line: emphasis, code, links (`[` — so `(` never follows a `]`), tables,
  // headings, strike-through and HTML. Dots, dashes and parentheses stay readable in the raw file.
  return text
    .replace(/</g, '&lt;')
    .replace(/[\\`*_{}[\]#|~>]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

function link(label: string, url: string): string {
  return isSafeUrl(url) ? `[${escapeMarkdown(label)}](${url.replace(/\)/g, '%29')})` : escapeMarkdown(label);
}

function stackSection(stack: StackReport, timezone: string): string[] {
  const team = stack.team ? ` · ${escapeMarkdown(stack.team)}` : '';
  // "bad, new today"; a run of bad days says it alone ("bad for 3 days", not "bad, bad for 3 days").
  const word = verdictLabel[stack.verdict].toLowerCase();
  const state = !stack.streak
    ? word
    : stack.streak.kind === 'bad'
      ? streakWords(stack.streak)
      : `${word}, ${streakWords(stack.streak)}`;
  const lines = [`### ${verdictEmoji[stack.verdict]} ${escapeMarkdown(stack.name)}${team} — ${state}`, ''];
  for (const reason of stack.reasons) lines.push(`- ${escapeMarkdown(reason)}`);
  lines.push('', '| metric | now | usual | change | verdict |', '|---|---:|---:|---:|---|');
  for (const m of stack.metrics) {
    const c = metricCells(m);
    lines.push(
      `| ${escapeMarkdown(m.label)} | ${escapeMarkdown(c.current)} | ${escapeMarkdown(c.usual)} | ${c.change} | ${m.verdict} |`,
    );
  }
  const events: string[] = [];
  for (const [kind, summary] of Object.entries(stack.events)) {
    if (!summary) continue;
    if (eventsFailed(summary)) {
      events.push(eventsUnknownText(kind));
      continue;
    }
    events.push(`${eventCount(kind, summary.window)} in the window (14 d: ${summary.last14d})`);
    for (const item of summary.items.slice(0, 3)) {
      const title = item.url ? link(item.title, item.url) : escapeMarkdown(item.title);
      const state = incidentState(item, timezone);
      const linked = item.linkedTo?.length ? ` ← before ${escapeMarkdown(item.linkedTo.join(', '))}` : '';
      events.push(
        `  - ${formatEventTime(Date.parse(item.at), timezone)} ${title}${state ? ` (${state})` : ''}${linked}`,
      );
    }
  }
  if (events.length > 0) lines.push('', ...events.map((e) => (e.startsWith('  ') ? e : `- ${e}`)));
  const links = Object.entries(stack.links).map(([name, url]) => link(name, url));
  if (links.length > 0) lines.push('', links.join(' · '));
  lines.push('');
  return lines;
}

/** How we ship: one line per team (and the fleet), with the days as bars, oldest first. */
function deliverySection(report: Report): string[] {
  const section = report.delivery;
  if (!section) return [];
  const days = section.days.length || section.fleet.perDay.length;
  const lines = [`### 🚀 How we ship — last ${days} days`, ''];
  for (const { name, tally } of deliveryRows(section)) {
    const bars = tally.stacks > 0 ? ` \`${textBars(tally.perDay)}\`` : '';
    lines.push(`- **${escapeMarkdown(name)}**${bars} ${escapeMarkdown(deliveryLine(tally, days))}`);
  }
  lines.push(
    '',
    `_Bars: deploys a day, oldest first (· none, ? unknown). ${escapeMarkdown(deliveryNote)}_`,
    '',
  );
  return lines;
}

export function renderMarkdown(report: Report): string {
  const { start, end, timezone } = report.window;
  const stacks = orderedStacks(report);
  const detailed = stacks.filter((s) => s.verdict !== 'normal');
  const normal = stacks.filter((s) => s.verdict === 'normal');
  const lines = [
    `## ${escapeMarkdown(report.title)} — ${reportDay(report)}`,
    '',
    `**${countsLine(report.summary, report.stacks)}** · window ${formatWindow(Date.parse(start), Date.parse(end), timezone)} ${baselinePhrase(report)}`,
    '',
  ];
  if (report.onCall?.length) {
    for (const o of report.onCall)
      lines.push(`- 📟 on call, ${escapeMarkdown(o.team)}: ${escapeMarkdown(onCallText(o))}`);
    lines.push('');
  }
  for (const stack of detailed) lines.push(...stackSection(stack, timezone));
  if (normal.length > 0) {
    lines.push('### ⚪ Normal', '');
    for (const s of normal) {
      const streak = s.streak ? ` — ${streakWords(s.streak)}` : '';
      const note = hasNotes(s) ? ` — ${escapeMarkdown(stackNotes(s).join('; '))}` : '';
      lines.push(`- ${escapeMarkdown(s.name)}${streak}${note}`);
    }
    lines.push('');
  }
  lines.push(...deliverySection(report));
  lines.push(
    '<details><summary>Data sources</summary>',
    '',
    '| source | status | requests | retries | errors |',
    '|---|---|---:|---:|---|',
  );
  for (const s of report.sources) {
    lines.push(
      `| ${escapeMarkdown(s.id)} | ${s.status} | ${s.requests} | ${s.retries} | ${escapeMarkdown(s.errors.slice(0, 3).join('; '))} |`,
    );
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}
