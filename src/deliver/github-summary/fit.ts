/**
 * Keep the job summary under GitHub's limit (1 MiB per step) without losing what matters. Pure.
 *
 * Detail is given up in order of how little it is needed in the review: normal stacks first, then
 * good and unknown ones (their names stay, in a compact list), then the unremarkable metrics of bad
 * stacks. Only if even that is too big is the text cut at a line, with a note saying so. Counts
 * always stay true: they come from `report.summary`, which is never changed.
 */
import { escapeMarkdown, renderMarkdown } from '../../render/markdown';
import { postmortemFile } from '../../render/postmortem';
import type { Report, StackReport, Verdict } from '../../report/types';

/** GitHub's limit for one step's summary file. */
export const summaryLimitBytes = 1024 * 1024;

export interface FittedSummary {
  markdown: string;
  /** What was left out, in words; empty when the report fits whole. */
  omitted: string[];
}

const namesShown = 200;

function nameList(stacks: StackReport[]): string {
  const names = stacks.slice(0, namesShown).map((s) => escapeMarkdown(s.name));
  const more = stacks.length - names.length;
  return names.join(', ') + (more > 0 ? `, … and ${more} more` : '');
}

interface Step {
  /** Verdicts whose stacks are reduced to a name in the note. */
  drop: Verdict[];
  /** Keep only the metrics of bad stacks that are not normal, and no event items. */
  trimBad: boolean;
}

const steps: Step[] = [
  { drop: ['normal'], trimBad: false },
  { drop: ['normal', 'good', 'unknown'], trimBad: false },
  { drop: ['normal', 'good', 'unknown'], trimBad: true },
];

function trimStack(stack: StackReport): StackReport {
  const events = Object.fromEntries(
    Object.entries(stack.events).map(([kind, summary]) => [kind, summary && { ...summary, items: [] }]),
  ) as StackReport['events'];
  return { ...stack, metrics: stack.metrics.filter((m) => m.verdict !== 'normal'), events };
}

interface Attempt extends FittedSummary {
  /** The rendered report and the note about what was left out, kept apart for a hard cut. */
  body: string;
  note: string;
}

function apply(report: Report, step: Step): Attempt {
  const dropped = report.stacks.filter((s) => step.drop.includes(s.verdict));
  const kept = report.stacks
    .filter((s) => !step.drop.includes(s.verdict))
    .map((s) => (step.trimBad ? trimStack(s) : s));
  const omitted: string[] = [];
  const lines: string[] = [];
  for (const verdict of ['unknown', 'good', 'normal'] as const) {
    const these = dropped.filter((s) => s.verdict === verdict);
    if (!these.length) continue;
    omitted.push(`detail of ${these.length} ${verdict} stacks`);
    // Normal stacks are only counted: in a fleet this large their names are noise.
    if (verdict !== 'normal') lines.push(`- **${verdict}**: ${nameList(these)}`);
  }
  if (step.trimBad) omitted.push('normal metrics and event lists of bad stacks');
  const body = renderMarkdown({ ...report, stacks: kept });
  const note = [
    '',
    `> [!NOTE]`,
    `> Shortened to fit GitHub's 1 MiB job-summary limit: left out the ${omitted.join(', and the ')}. The full report is in the run's artifact (report.md, report.html).`,
    '',
    ...lines,
    '',
  ].join('\n');
  return { markdown: body + note, omitted, body, note };
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cut at the last line break within `budget` bytes, close an open <details>, and say so. */
function hardCut(markdown: string, budget: number): string {
  const note = `\n\n> [!WARNING]\n> Cut short to fit GitHub's 1 MiB job-summary limit. The full report is in the run's artifact (report.md, report.html).\n`;
  const room = Math.max(0, budget - bytes(note) - '\n</details>\n'.length);
  const buffer = Buffer.from(markdown, 'utf8').subarray(0, room);
  // A line break is ASCII, never inside a multi-byte character: cutting there keeps UTF-8 valid.
  const end = buffer.lastIndexOf(0x0a);
  let text = buffer.subarray(0, end < 0 ? 0 : end).toString('utf8');
  const opened = text.split('<details>').length - text.split('</details>').length;
  if (opened > 0) text += '\n</details>\n';
  return text + note;
}

/**
 * The post-mortem starter of each bad stack, folded under a `<details>` so the summary stays readable;
 * the first thing given up when the summary is too big (the files are in the run's artifact).
 */
export function postmortemDetails(report: Report): string {
  return report.stacks
    .filter((s) => s.verdict === 'bad')
    .map((stack) => {
      const file = postmortemFile(report, stack);
      // Inside <summary> GitHub shows HTML, not Markdown: escape for HTML, on one line.
      const title = stack.name
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\s+/g, ' ');
      return `\n<details><summary>Post-mortem starter: ${title} (${file.path})</summary>\n\n${file.text}\n</details>\n`;
    })
    .join('');
}

/** The Markdown for `report`, at most `budget` bytes (UTF-8). */
export function fitSummary(report: Report, budget: number): FittedSummary {
  const body = renderMarkdown(report);
  const details = postmortemDetails(report);
  if (bytes(body) + bytes(details) <= budget) return { markdown: body + details, omitted: [] };
  const full = details
    ? `${body}\n> [!NOTE]\n> The post-mortem starters did not fit here: they are in the run's artifact (postmortem/).\n`
    : body;
  const dropped = details ? ['post-mortem starters'] : [];
  if (bytes(full) <= budget) return { markdown: full, omitted: dropped };
  let last: Attempt = { markdown: full, omitted: [], body: full, note: '' };
  let previous = '';
  for (const step of steps) {
    // Skip a step that would leave out nothing more than the one before (rendering is the cost).
    const key = `${report.stacks.filter((s) => step.drop.includes(s.verdict)).length}/${step.trimBad}`;
    if (key === previous || key === '0/false') continue;
    previous = key;
    last = apply(report, step);
    if (bytes(last.markdown) <= budget)
      return { markdown: last.markdown, omitted: [...dropped, ...last.omitted] };
  }
  // Even bad stacks alone are too many: cut the report, but keep the note on what was left out.
  const note = bytes(last.note) <= budget / 4 ? last.note : '';
  return {
    markdown: hardCut(last.body, budget - bytes(note)) + note,
    omitted: [...dropped, ...last.omitted, 'the end of the text'],
  };
}
