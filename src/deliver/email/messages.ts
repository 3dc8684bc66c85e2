/**
 * Who gets what: `to` gets the whole report, each team its own stacks. Each message is rendered
 * from a Report of its own (filtered, summary recomputed), so subject, counts, HTML and text agree.
 */
import type { EmailDeliveryConfig } from '../../config/schema';
import { subjectLine } from '../../render/common';
import { renderHtml, type HtmlImage } from '../../render/html';
import { postmortemFile } from '../../render/postmortem';
import { withDeliverySection } from '../../report/story/delivery';
import { renderText } from '../../render/text';
import type { Report, Verdict } from '../../report/types';

/** One message to compose: the report it shows and the addresses it goes to. */
export interface PlannedMessage {
  /** "whole report" or "team payments"; used in results and logs. */
  label: string;
  /** Shown under the title of a team's copy. */
  audience?: string;
  /** Used for the .eml file name in a dry run. */
  slug: string;
  report: Report;
  to: string[];
}

/** Teams in the config whose stacks are not in this report get nothing (and are named in the result). */
export interface MessagePlan {
  messages: PlannedMessage[];
  emptyTeams: string[];
}

/** The report with only `team`'s stacks (and on-call), counts recomputed. */
export function filterReport(report: Report, team: string): Report {
  const stacks = report.stacks.filter((s) => s.team === team);
  const summary: Record<Verdict, number> = { good: 0, normal: 0, bad: 0, unknown: 0 };
  for (const s of stacks) summary[s.verdict]++;
  const onCall = report.onCall?.filter((o) => o.team === team);
  // The delivery section of a team's copy counts that team's stacks only.
  return withDeliverySection({ ...report, stacks, summary, ...(onCall ? { onCall } : {}) });
}

function slugOf(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'team'
  );
}

export function planMessages(report: Report, config: EmailDeliveryConfig): MessagePlan {
  const messages: PlannedMessage[] = [];
  const emptyTeams: string[] = [];
  const slugs = new Set<string>();
  const uniqueSlug = (base: string) => {
    let slug = base;
    for (let i = 2; slugs.has(slug); i++) slug = `${base}-${i}`;
    slugs.add(slug);
    return slug;
  };
  if (config.to.length) {
    messages.push({ label: 'whole report', slug: uniqueSlug('all'), report, to: [...config.to] });
  }
  for (const [team, addresses] of Object.entries(config.teams)) {
    if (!addresses.length) continue;
    const teamReport = filterReport(report, team);
    if (!teamReport.stacks.length) {
      emptyTeams.push(team);
      continue;
    }
    messages.push({
      label: `team ${team}`,
      audience: `team ${team}`,
      slug: uniqueSlug(`team-${slugOf(team)}`),
      report: teamReport,
      to: [...addresses],
    });
  }
  return { messages, emptyTeams };
}

/** A file attached to a message (not inline): the post-mortem starters of the bad stacks. */
export interface MessageFile {
  filename: string;
  content: string;
  contentType: string;
}

/** The rendered parts of one message. */
export interface ComposedMessage {
  subject: string;
  text: string;
  html: string;
  images: HtmlImage[];
  /** Post-mortem starters of the bad stacks (the first `maxPostmortemAttachments`). */
  files: MessageFile[];
}

/** Starters attached to one message; a fleet's bad day names the rest instead of growing the mail. */
export const maxPostmortemAttachments = 10;

/** The starters a message carries: one per bad stack of its report, bad stacks in the renderers' order. */
export function postmortemAttachments(report: Report): {
  files: (MessageFile & { stackId: string })[];
  more: number;
} {
  const bad = report.stacks.filter((s) => s.verdict === 'bad');
  const files = bad.slice(0, maxPostmortemAttachments).map((stack) => {
    const f = postmortemFile(report, stack);
    return {
      stackId: stack.id,
      filename: f.path.replace(/^postmortem\//, 'postmortem-'),
      content: f.text,
      contentType: 'text/markdown; charset=utf-8',
    };
  });
  return { files, more: bad.length - files.length };
}

/** `[scrum-ops] <title> <YYYY-MM-DD> — N bad · N good · N normal[ · N unknown]` */
export function emailSubject(report: Report): string {
  return subjectLine(report);
}

export async function composeMessage(message: PlannedMessage): Promise<ComposedMessage> {
  const { files, more } = postmortemAttachments(message.report);
  const attached = new Map(files.map((f) => [f.stackId, f.filename]));
  const rendered = await renderHtml(message.report, {
    images: 'cid',
    ...(message.audience ? { audience: message.audience } : {}),
    postmortemNote: (stack) => {
      const name = attached.get(stack.id);
      if (name) return `attached (${name})`;
      // Beyond the attachment cap the starter is still in the run's files.
      return stack.verdict === 'bad' ? 'in the report files (postmortem/, with the md format)' : undefined;
    },
  });
  const text = renderText(message.report);
  const note = files.length
    ? `\n\nPost-mortem starters attached: ${files.map((f) => f.filename).join(', ')}` +
      (more > 0 ? ` (and ${more} more in the report files under postmortem/)` : '') +
      '.\n'
    : '';
  return {
    subject: emailSubject(message.report),
    text: (message.audience ? `For ${message.audience}.\n\n${text}` : text) + note,
    html: rendered.html,
    images: rendered.images,
    files: files.map(({ filename, content, contentType }) => ({ filename, content, contentType })),
  };
}
