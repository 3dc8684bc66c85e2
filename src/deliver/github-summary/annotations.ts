/**
 * GitHub Actions workflow commands (`::warning title=…::message`) that put bad stacks and failing
 * data sources on the run's page. Pure: returns the lines; the channel writes them to stdout.
 *
 * GitHub shows at most 10 annotations of each kind per step, so the tenth of a kind sums up the rest
 * instead of being dropped silently.
 */
import type { Report } from '../../report/types';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** GitHub shows this many annotations of each level per step. */
export const annotationsPerLevel = 10;

/** Escape a command's message (GitHub's toolkit: %, CR, LF). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a command property such as `title` (as data, plus the separators `:` and `,`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotation(level: AnnotationLevel, title: string, message: string): string {
  return `::${level} title=${escapeProperty(title)}::${escapeData(message)}`;
}

interface Item {
  title: string;
  message: string;
}

function capped(level: AnnotationLevel, items: Item[], rest: (items: Item[]) => Item): string[] {
  const shown = items.length > annotationsPerLevel ? items.slice(0, annotationsPerLevel - 1) : items;
  const lines = shown.map((i) => annotation(level, i.title, i.message));
  if (shown.length < items.length) {
    const summary = rest(items.slice(shown.length));
    lines.push(annotation(level, summary.title, summary.message));
  }
  return lines;
}

/** Warnings for bad stacks, errors for failed sources, notices for partly failed ones. */
export function reportAnnotations(report: Report): string[] {
  const bad = report.stacks
    .filter((s) => s.verdict === 'bad')
    .map((s) => ({
      title: `scrumops: ${s.name} is bad`,
      message: s.reasons.length ? s.reasons.join('\n') : 'bad: see the report',
    }));
  const source = (status: 'failed' | 'partial') =>
    report.sources
      .filter((s) => s.status === status)
      .map((s) => ({
        title: `scrumops: source ${s.id} ${status === 'failed' ? 'failed' : 'partly failed'}`,
        message: s.errors.length
          ? s.errors.slice(0, 5).join('\n')
          : `${s.requests} requests, no error recorded`,
      }));
  const names = (items: Item[]) => items.map((i) => i.title.replace(/^scrumops: /, '')).join('\n');
  return [
    ...capped('error', source('failed'), (rest) => ({
      title: `scrumops: ${rest.length} more sources failed`,
      message: names(rest),
    })),
    ...capped('warning', bad, (rest) => ({
      title: `scrumops: ${rest.length} more bad stacks`,
      message: names(rest),
    })),
    ...capped('notice', source('partial'), (rest) => ({
      title: `scrumops: ${rest.length} more sources partly failed`,
      message: names(rest),
    })),
  ];
}
