/**
 * A blameless post-mortem starter for a bad stack, in Markdown: title, impact in one line, a timeline
 * pre-filled from the report (deployments, alerts, unusual stretches, the review itself) in the report's
 * time zone, then the headed blanks a team fills in. Written about systems and conditions, never people.
 * Pure: the report in, a file name and its text out.
 */
import { formatChange, formatDay, formatDuration, formatEventTime, formatValue } from '../report/format';
import { streakWords } from '../report/story/wording';
import type { Report, StackReport } from '../report/types';
import { escapeMarkdown } from './markdown';
import { isSafeUrl } from './common';

export interface PostmortemFile {
  /** Relative to the output folder: postmortem/<date>-<stack-id>.md */
  path: string;
  text: string;
}

/** One starter per bad stack of the report. */
export function postmortemFiles(report: Report): PostmortemFile[] {
  return report.stacks.filter((s) => s.verdict === 'bad').map((s) => postmortemFile(report, s));
}

export function postmortemFile(report: Report, stack: StackReport): PostmortemFile {
  const tz = report.window.timezone;
  const end = Date.parse(report.window.end);
  return { path: `postmortem/${formatDay(end, tz)}-${stack.id}.md`, text: renderPostmortem(report, stack) };
}

interface Row {
  at: number;
  what: string;
}

/**
 * The starter of one stack. A stack that is not bad today (asked for with `scrumops postmortem`) gets
 * the same headed blanks and its timeline, with the state said plainly: the report saw no impact.
 */
export function renderPostmortem(report: Report, stack: StackReport): string {
  const tz = report.window.timezone;
  const end = Date.parse(report.window.end);
  const bad = stack.metrics.filter((m) => m.verdict === 'bad');
  const name = escapeMarkdown(stack.name);
  const headline = bad.map((m) => escapeMarkdown(m.label)).join(', ') || 'health';
  const isBad = stack.verdict === 'bad';

  const impact = bad.map((m) => {
    const since = m.onset ? Date.parse(m.onset.at) : Date.parse(report.window.start);
    const about = m.onset?.estimated ? 'about ' : '';
    return (
      `${escapeMarkdown(m.label)} ${escapeMarkdown(formatValue(m.current, m.unit))} vs usual ` +
      `${escapeMarkdown(formatValue(m.baseline, m.unit))} (${formatChange(m.change)}) from ${about}` +
      `${formatEventTime(since, tz)} to the review at ${formatEventTime(end, tz)} (${formatDuration(end - since)})`
    );
  });

  const rows: Row[] = [];
  for (const [kind, summary] of Object.entries(stack.events)) {
    const noun = kind === 'deployments' ? 'deploy' : kind === 'alerts' ? 'alert' : 'incident';
    for (const item of summary?.items ?? []) {
      rows.push({ at: Date.parse(item.at), what: `${noun} ${escapeMarkdown(item.title)}` });
    }
  }
  for (const m of bad) {
    const label = escapeMarkdown(m.label);
    for (const e of m.episodes) {
      const usual = e.usual === null ? '' : `, usual ${escapeMarkdown(formatValue(e.usual, m.unit))}`;
      rows.push({
        at: Date.parse(e.start),
        what: `${label} leaves its usual band (peak ${escapeMarkdown(formatValue(e.peak, m.unit))}${usual})`,
      });
      if (Date.parse(e.end) < end)
        rows.push({ at: Date.parse(e.end), what: `${label} back within its usual band` });
    }
    if (m.episodes.length === 0 && m.onset) {
      rows.push({
        at: Date.parse(m.onset.at),
        what: `${label} shifts${m.onset.estimated ? ' (estimated from the day’s shape)' : ''}`,
      });
    }
  }
  rows.push({
    at: end,
    what: isBad ? 'detected in the scrum-ops review' : `the scrum-ops review: ${stack.verdict}, not bad`,
  });
  rows.sort((a, b) => a.at - b.at);
  const seen = new Set<string>();
  const timeline = rows.filter((r) => {
    const key = `${r.at} ${r.what}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });

  const links = Object.entries(stack.links)
    .filter(([, url]) => isSafeUrl(url))
    .map(([label, url]) => `- ${escapeMarkdown(label)}: ${url}`);
  links.push('- the report: report.html (and report.md) beside this folder');

  const state = isBad
    ? stack.streak
      ? `bad, ${streakWords(stack.streak)}`
      : 'bad'
    : `${stack.verdict} today, not bad: written on request (scrumops postmortem)` +
      (stack.streak ? `; ${streakWords(stack.streak)}` : '');
  const noImpact =
    stack.verdict === 'unknown'
      ? 'not known: the report had too little data to judge this stack today'
      : `none seen in the report: the stack is ${stack.verdict} today`;
  const impactLine = isBad ? impact.join('; ') || 'see the report' : noImpact;
  return [
    `# Post-mortem: ${name} — ${headline} (${formatDay(end, tz)})`,
    '',
    '> A starter written by scrumops from the daily report. Blameless: it asks about systems and',
    '> conditions, never about people. Keep what helps, delete the rest.',
    '',
    `**Impact:** ${impactLine}.`,
    '',
    `**State:** ${state}${stack.team ? ` · team ${escapeMarkdown(stack.team)}` : ''} · times in ${tz}`,
    '',
    '## Timeline',
    '',
    '| when | what |',
    '|---|---|',
    ...timeline.map((r) => `| ${formatEventTime(r.at, tz)} | ${r.what} |`),
    '',
    '## What contributed',
    '',
    '_Which changes, conditions or dependencies made this possible? What did the system allow that it should not have?_',
    '',
    '## What could we have done better',
    '',
    '_Which signal, check, limit or rollout step would have caught or contained it sooner?_',
    '',
    '## Action items',
    '',
    '| action | owner | due |',
    '|---|---|---|',
    '|  |  |  |',
    '',
    '## Links',
    '',
    ...links,
    '',
  ].join('\n');
}
