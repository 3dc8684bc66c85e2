/**
 * The Slack message for a report (Block Kit, for an incoming webhook). Pure: the report in, a JSON
 * object out. Layout, top to bottom: title and date, the counts, bad stacks first (each with its first
 * reasons), good stacks, one compact line for unknown and one for normal stacks, data sources that
 * failed, and links to the run and the full report.
 *
 * Every string that comes from outside (config names, reasons, source errors, URLs) goes through
 * `escapeMrkdwn`, so a stack called "<!channel>" cannot ping anyone and "A & B" stays readable.
 * Slack's limits are kept by construction: at most 50 blocks, at most 3000 characters per text,
 * 150 per header; what does not fit is counted in a "… and N more" line, never silently dropped.
 */
import { formatDay, formatWindow } from '../../report/format';
import type { Report, StackReport, Verdict } from '../../report/types';
import {
  deliveryLine,
  eventCount,
  eventsFailed,
  eventsUnknownText,
  failedEventsTexts,
  hasNotes,
  onCallText,
} from '../../render/common';
import { streakCounts, streakWords } from '../../report/story/wording';

/** Slack's Block Kit limits for a message (docs.slack.dev: blocks, text object, header block). */
export const slackLimits = { blocks: 50, text: 3000, header: 150, contextElements: 10 } as const;

/** Reasons shown per bad stack; the rest are counted. */
const reasonsPerBadStack = 3;
/** Bad stacks that get a section each; beyond this they are listed compactly. */
const badSectionsMax = 15;

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  verbatim?: boolean;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

export interface SlackPayloadOptions {
  /** The GitHub Actions run (or any CI job) that produced the report. */
  runUrl?: string;
  /** Where the HTML report can be opened. */
  artifactUrl?: string;
  /**
   * The post-mortem starters written for bad stacks, by stack id: the path relative to the report
   * files (`postmortem/2026-11-26-checkout.md`). A webhook cannot attach a file, so the message names
   * it, linked to the report files (`artifactUrl`) when they have an address.
   */
  postmortems?: Record<string, string>;
}

const icons: Record<Verdict, string> = {
  bad: ':red_circle:',
  good: ':large_green_circle:',
  normal: ':white_circle:',
  unknown: ':grey_question:',
};

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>` for http(s) URLs; anything else becomes the plain label. */
export function slackLink(url: string | undefined, label: string): string {
  const text = escapeMrkdwn(label).replace(/\|/g, '¦');
  // Only http(s), and not so long that clipping the text would have to cut the link in half.
  if (!url || url.length > 1000 || !/^https?:\/\/[^\s]+$/i.test(url)) return text;
  const href = escapeMrkdwn(url).replace(/\|/g, '%7C');
  return `<${href}|${text}>`;
}

/** Longest stack name, team or reason shown, before escaping: one absurd value must not crowd out the rest. */
const valueMax = { name: 150, team: 80, reason: 500, sourceError: 300 } as const;

/** A value from outside, shortened to `max` characters and escaped. */
function esc(text: string, max: number): string {
  return escapeMrkdwn(clip(text, max));
}

/** Cut to at most `max` characters (UTF-16 units, as Slack counts), ending with an ellipsis. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half an escape (&amp;) or half a link (<url|…) behind.
  const amp = cut.lastIndexOf('&');
  if (amp > cut.length - 5 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  // A lone high surrogate would make the JSON invalid for Slack.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text: clip(text, slackLimits.text), verbatim: true };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: mrkdwn(text) };
}

function stackTitle(stack: StackReport): string {
  const url = stack.links.dashboard ?? Object.values(stack.links)[0];
  const team = stack.team ? ` · ${esc(stack.team, valueMax.team)}` : '';
  return `*${slackLink(url, clip(stack.name, valueMax.name))}*${team}`;
}

function eventsLine(stack: StackReport): string {
  const parts: string[] = [];
  for (const kind of ['incidents', 'deployments', 'alerts'] as const) {
    const summary = stack.events[kind];
    if (eventsFailed(summary)) parts.push(eventsUnknownText(kind));
    else if (summary?.window) parts.push(eventCount(kind, summary.window));
  }
  return parts.length ? `\n_${parts.join(', ')} in the window_` : '';
}

function badStackText(stack: StackReport, options: SlackPayloadOptions): string {
  const shown = stack.reasons.slice(0, reasonsPerBadStack).map((r) => `• ${esc(r, valueMax.reason)}`);
  const more = stack.reasons.length - shown.length;
  if (more > 0) shown.push(`• _… and ${more} more_`);
  const streak = stack.streak ? ` — _${streakWords(stack.streak)}_` : '';
  return (
    [`${icons.bad} ${stackTitle(stack)}${streak}`, ...shown].join('\n') +
    eventsLine(stack) +
    postmortemLine(stack, options)
  );
}

/** "📝 Post-mortem starter: `postmortem/2026-11-26-checkout.md` (in the report files)" */
function postmortemLine(stack: StackReport, options: SlackPayloadOptions): string {
  const path = options.postmortems?.[stack.id];
  if (!path) return '';
  const file = `\`${esc(path, valueMax.name)}\``;
  const where = options.artifactUrl
    ? slackLink(options.artifactUrl, 'in the report files')
    : 'in the report files';
  return `\n:memo: Post-mortem starter: ${file} (${where})`;
}

function oneLine(stack: StackReport): string {
  const first = stack.reasons[0];
  return `${icons[stack.verdict]} ${stackTitle(stack)}${first ? ` — ${esc(first, valueMax.reason)}` : ''}`;
}

/**
 * Pack lines into as few texts of at most `slackLimits.text` characters as possible, using at most
 * `maxTexts` of them; lines that do not fit are counted in a last "… and N more <noun>" line.
 */
function pack(lines: string[], maxTexts: number, noun: string): string[] {
  const texts: string[] = [];
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = clip(lines[i]!, slackLimits.text - 200);
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= slackLimits.text - 100) {
      current = candidate;
      continue;
    }
    if (texts.length + 1 >= maxTexts) {
      texts.push(`${current}\n_… and ${lines.length - i} more ${noun}_`);
      return texts;
    }
    texts.push(current);
    current = line;
  }
  if (current) texts.push(current);
  return texts;
}

/** "*Normal (4):* Ledger, Invoicing, …" kept within one text, the rest counted. */
function compactList(verdict: Verdict, label: string, stacks: StackReport[]): string | undefined {
  if (!stacks.length) return undefined;
  const head = `${icons[verdict]} *${label} (${stacks.length}):* `;
  const names: string[] = [];
  let length = head.length;
  for (const stack of stacks) {
    // A normal stack with a note (an unknown or light bad metric) keeps its first reason beside its
    // name, and says which events are unknown (they have no section of their own here).
    const said = [stack.reasons[0] ?? '', ...failedEventsTexts(stack)].filter(Boolean).join('; ');
    const note = hasNotes(stack) && said ? ` (${esc(said, valueMax.reason)})` : '';
    const streak = stack.streak ? ` _${streakWords(stack.streak)}_` : '';
    const name = esc(stack.name, valueMax.name) + streak + note;
    if (length + name.length + 2 > slackLimits.text - 40) break;
    names.push(name);
    length += name.length + 2;
  }
  const rest = stacks.length - names.length;
  return head + names.join(', ') + (rest > 0 ? `, … and ${rest} more` : '');
}

function countsLine(report: Report): string {
  const s = report.summary;
  const streaks = streakCounts(report.stacks);
  return [
    `${icons.bad} *${s.bad} bad*${streaks.bad ? ` (${streaks.bad})` : ''}`,
    ...(streaks.recovered ? [streaks.recovered] : []),
    `${icons.good} *${s.good} good*`,
    `${icons.normal} ${s.normal} normal`,
    `${icons.unknown} ${s.unknown} unknown`,
  ].join('   ');
}

function sourcesLine(report: Report): string | undefined {
  const troubled = report.sources.filter((s) => s.status !== 'ok');
  if (!troubled.length) return undefined;
  const lines = troubled.map((s) => {
    const first = s.errors[0] ? `: ${esc(s.errors[0].replace(/\s+/g, ' '), valueMax.sourceError)}` : '';
    return `• \`${esc(s.id, valueMax.team)}\` ${s.status === 'failed' ? '*failed*' : 'partly failed'}${first}`;
  });
  return `:warning: *Data sources with problems* — the stacks they feed may show as unknown\n${lines.join('\n')}`;
}

function linksLine(options: SlackPayloadOptions): string | undefined {
  const links: string[] = [];
  if (options.artifactUrl) links.push(slackLink(options.artifactUrl, 'Full report'));
  if (options.runUrl) links.push(slackLink(options.runUrl, 'View the run'));
  return links.length ? links.join(' · ') : undefined;
}

/** The Block Kit message for `report`: bad stacks first, within Slack's limits. */
export function slackPayload(report: Report, options: SlackPayloadOptions = {}): SlackMessage {
  const end = Date.parse(report.window.end);
  const start = Date.parse(report.window.start);
  const tz = report.window.timezone;
  const day = formatDay(end, tz);
  const byVerdict = (v: Verdict) => report.stacks.filter((s) => s.verdict === v);
  const bad = byVerdict('bad');
  const good = byVerdict('good');

  const head: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${report.title} · ${day}`, slackLimits.header), emoji: true },
    },
    {
      type: 'context',
      elements: [
        mrkdwn(
          `${escapeMrkdwn(formatWindow(start, end, tz))} · compared with ${report.baseline.days} ${report.baseline.mode} baseline windows`,
        ),
      ],
    },
    section(countsLine(report)),
  ];
  if (report.delivery) {
    // How we ship, in one line of words: the whole report's deploys and the change-failure estimate.
    const days = report.delivery.days.length || report.delivery.fleet.perDay.length;
    const line = `:rocket: How we ship: ${deliveryLine(report.delivery.fleet, days)}`;
    head.push({ type: 'context', elements: [mrkdwn(esc(line, valueMax.reason))] });
  }
  if (report.onCall?.length) {
    const lines = report.onCall.map(
      (o) => `📟 on call, *${esc(o.team, valueMax.team)}*: ${esc(onCallText(o), valueMax.reason)}`,
    );
    head.push({ type: 'context', elements: [mrkdwn(lines.join('\n'))] });
  }
  const tail: SlackBlock[] = [];
  const compact = [
    compactList('unknown', 'Unknown', byVerdict('unknown')),
    compactList('normal', 'Normal', byVerdict('normal')),
  ];
  const compactTexts = compact.filter((t): t is string => t !== undefined);
  if (compactTexts.length) tail.push({ type: 'context', elements: compactTexts.map(mrkdwn) });
  const sources = sourcesLine(report);
  if (sources) tail.push(section(sources));
  const links = linksLine(options);
  if (links) tail.push({ type: 'context', elements: [mrkdwn(links)] });

  // What is left of the 50 blocks goes to bad stacks first, then good ones. Reserved: the divider
  // before the tail, and one block for good stacks (a divider and a section, or a compact line).
  let budget = slackLimits.blocks - head.length - tail.length - 1;
  const goodReserve = good.length ? 2 : 0;
  const body: SlackBlock[] = [];
  if (bad.length) {
    body.push({ type: 'divider' });
    budget -= 1;
    const available = budget - goodReserve;
    const ownSections = Math.min(
      bad.length,
      badSectionsMax,
      bad.length > badSectionsMax ? available - 1 : available,
    );
    for (const stack of bad.slice(0, ownSections)) body.push(section(badStackText(stack, options)));
    budget -= ownSections;
    const rest = bad.slice(ownSections);
    if (rest.length) {
      const texts = pack(rest.map(oneLine), Math.max(1, Math.min(5, budget - goodReserve)), 'bad stacks');
      body.push(...texts.map(section));
      budget -= texts.length;
    }
  }
  if (good.length && budget >= 2) {
    body.push({ type: 'divider' });
    body.push(...pack(good.map(oneLine), Math.min(3, budget - 1), 'good stacks').map(section));
  } else if (good.length) {
    tail.unshift({ type: 'context', elements: [mrkdwn(compactList('good', 'Good', good) ?? '')] });
  }

  const summary = report.summary;
  return {
    text: escapeMrkdwn(
      `${report.title} ${day}: ${summary.bad} bad · ${summary.good} good · ${summary.normal} normal · ${summary.unknown} unknown`,
    ),
    blocks: [...head, ...body, { type: 'divider' }, ...tail],
    unfurl_links: false,
    unfurl_media: false,
  };
}
