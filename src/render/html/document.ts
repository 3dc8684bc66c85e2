/**
 * Builds the MJML document of the digest from a Report. Pure apart from reading the templates:
 * every report string is escaped here, every link checked, every time shown in the report's zone.
 *
 * Layout, for a ten-second scan on a phone: header (date, window, counts); bad stacks in full;
 * unknown stacks with what is missing; good stacks in full; normal stacks as one compact list;
 * footer with data completeness and how verdicts are made.
 */
import {
  formatChange,
  formatDuration,
  formatEventTime,
  formatLongDate,
  formatTimeRange,
  formatValue,
  formatWindow,
  usableZone,
} from '../../report/format';
import type {
  DeliveryTally,
  EventSummary,
  MetricReport,
  Report,
  StackReport,
  Verdict,
} from '../../report/types';
import {
  countsLine,
  deliveryLine,
  deliveryNote,
  deliveryRows,
  eventsFailed,
  hasNotes,
  incidentState,
  onCallText,
  orderedStacks,
  stackNotes,
} from '../common';
import { streakTag, streakWords } from '../../report/story/wording';
import { calendarTable } from './calendar';
import { escapeHtml, linkOrText, safeHref } from './escape';
import { renderTemplate } from './template';

export const verdictStyle: Record<Verdict, { fg: string; bg: string; word: string }> = {
  bad: { fg: '#b42318', bg: '#fee4e2', word: 'bad' },
  good: { fg: '#067647', bg: '#dcfae6', word: 'good' },
  normal: { fg: '#344054', bg: '#eaecf0', word: 'normal' },
  unknown: { fg: '#93370d', bg: '#fef0c7', word: 'unknown' },
};

/** A chart picture the document refers to; `src` is a cid: or data: URI decided by the caller. */
export interface ChartPicture {
  src: string;
  alt: string;
  width: number;
  height: number;
}

export interface DocumentOptions {
  /** Who this copy is for ("team payments"); shown in the header. */
  audience?: string;
  /** How many of the detail-worthy stacks (bad first, then good) are shown in full; the rest compact. */
  detailLimit: number;
  /** The picture for a metric of a stack shown in full, or null for none. */
  chart: (stack: StackReport, metric: MetricReport) => ChartPicture | null;
  /** Most stacks in the 14-day calendar (the email keeps it small; report.html shows every one). */
  calendarLimit?: number;
  /** The bar chart of a row of the delivery section (a team, or the fleet), or null for none. */
  deliveryChart?: (row: number, tally: DeliveryTally) => ChartPicture | null;
  /** Where a stack's post-mortem starter is ("attached (…)"), shown with a full stack's details. */
  postmortemNote?: (stack: StackReport) => string | undefined;
  /**
   * False: plain normal stacks are counted per team instead of named (a fleet of thousands, whose
   * names alone would pass an email's size budget). Default true.
   */
  normalNames?: boolean;
}

/** Bad stacks then good ones (in the order every renderer uses): the stacks that get details. */
export function detailCandidates(report: Report): StackReport[] {
  const ordered = orderedStacks(report);
  return [...ordered.filter((s) => s.verdict === 'bad'), ...ordered.filter((s) => s.verdict === 'good')];
}

function pill(verdict: Verdict, text: string, muted = false): string {
  const v = verdictStyle[verdict];
  const colors = muted ? 'background:#f2f4f7;color:#98a2b3' : `background:${v.bg};color:${v.fg}`;
  return `<span style="${colors};padding:2px 8px;border-radius:10px;font-weight:bold;white-space:nowrap">${escapeHtml(text)}</span>`;
}

function stackLinks(stack: StackReport): string {
  return Object.entries(stack.links)
    .map(([name, url]) =>
      safeHref(url)
        ? linkOrText(name, url)
        : `${escapeHtml(name)} <span style="color:#98a2b3">(link hidden)</span>`,
    )
    .join(' · ');
}

/** The stack's name, linked to its dashboard (or first safe link) for one tap from the phone. */
function stackName(stack: StackReport, style?: string): string {
  const entries = Object.entries(stack.links);
  const preferred =
    entries.find(([k, v]) => /dashboard/i.test(k) && safeHref(v)) ?? entries.find(([, v]) => safeHref(v));
  return linkOrText(stack.name || stack.id, preferred?.[1], style);
}

const titleLink = 'color:#111827;text-decoration:none';

function metaLine(stack: StackReport): string {
  const parts = [pill(stack.verdict, verdictStyle[stack.verdict].word.toUpperCase())];
  if (stack.streak) parts[0] += ` <b>${escapeHtml(streakWords(stack.streak))}</b>`;
  if (stack.team) parts.push(`team ${escapeHtml(stack.team)}`);
  const links = stackLinks(stack);
  if (links) parts.push(links);
  return parts.join(' · ');
}

function reasonsOf(stack: StackReport): string[] {
  if (stack.reasons.length) return stack.reasons;
  return stack.metrics.filter((m) => m.verdict === stack.verdict && m.reason).map((m) => m.reason);
}

function reasonList(stack: StackReport): string {
  const reasons = reasonsOf(stack);
  if (!reasons.length) return '';
  return `<ul style="margin:0;padding-left:18px">${reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`;
}

const num = 'align="right" style="white-space:nowrap"';

function metricTable(stack: StackReport): string {
  const head = `<tr style="color:#6b7280;font-size:11px"><th align="left">Metric</th><th ${num}>Now</th><th ${num}>Usual</th><th ${num}>Change</th></tr>`;
  const rows = stack.metrics.map((m) => {
    const tag =
      m.verdict === 'bad' || m.verdict === 'good'
        ? ` <b style="color:${verdictStyle[m.verdict].fg};font-size:11px">${m.verdict}</b>`
        : m.verdict === 'unknown'
          ? ` <span style="color:${verdictStyle.unknown.fg};font-size:11px">no verdict</span>`
          : '';
    const changeStyle =
      m.verdict === 'bad' || m.verdict === 'good'
        ? `;color:${verdictStyle[m.verdict].fg};font-weight:bold`
        : '';
    return (
      `<tr class="s"><td style="word-break:break-word">${escapeHtml(m.label)}${tag}</td>` +
      `<td ${num}>${escapeHtml(formatValue(m.current, m.unit))}</td>` +
      `<td ${num}>${escapeHtml(formatValue(m.baseline, m.unit))}</td>` +
      `<td align="right" style="white-space:nowrap${changeStyle}">${escapeHtml(formatChange(m.change))}</td></tr>`
    );
  });
  return head + rows.join('');
}

function charts(stack: StackReport, chart: DocumentOptions['chart']): string {
  return stack.metrics
    .map((m) => chart(stack, m))
    .filter((p): p is ChartPicture => p !== null)
    .map(
      (p) =>
        `<img src="${escapeHtml(p.src)}" width="${p.width}" height="${p.height}" alt="${escapeHtml(p.alt)}" style="display:inline-block;border:0;max-width:100%;height:auto;margin:0 4px 4px 0">`,
    )
    .join('');
}

/** Words for a chart's alt text, so the picture still says something when images are blocked. */
export function chartAlt(metric: MetricReport, timezone: string): string {
  const parts = [
    `${metric.label}: ${formatValue(metric.current, metric.unit)} now, usual ${formatValue(metric.baseline, metric.unit)}`,
  ];
  if (metric.episodes.length) {
    const tz = usableZone(timezone);
    parts.push(
      `unusual ${metric.episodes.map((e) => formatTimeRange(Date.parse(e.start), Date.parse(e.end), tz)).join(', ')}`,
    );
  }
  return parts.join('; ');
}

function eventLines(title: string, summary: EventSummary | undefined, timezone: string): string {
  if (!summary) return '';
  if (eventsFailed(summary))
    return `<div style="margin-top:4px"><b>${escapeHtml(title)}</b>: unknown (search failed)</div>`;
  const counts =
    summary.window === 0
      ? `none in the window (${summary.last14d} in 14 days)`
      : `${summary.window} in the window (${summary.last14d} in 14 days)`;
  const items = summary.items.map((item) => {
    const state = incidentState(item, timezone);
    const linked = item.linkedTo?.length
      ? ` <span style="color:${verdictStyle.bad.fg};font-size:12px">← before ${escapeHtml(item.linkedTo.join(', '))}</span>`
      : '';
    return `<br /><span style="color:#6b7280;white-space:nowrap">${escapeHtml(formatEventTime(Date.parse(item.at), timezone))}</span> ${linkOrText(item.title, item.url)}${state ? ` <span style="color:#6b7280">(${escapeHtml(state)})</span>` : ''}${linked}`;
  });
  return `<div style="margin-top:4px"><b>${escapeHtml(title)}</b>: ${counts}${items.join('')}</div>`;
}

function details(stack: StackReport, timezone: string): string {
  const parts: string[] = [];
  const episodes = stack.metrics.flatMap((m) => m.episodes.map((e) => ({ m, e })));
  if (episodes.length) {
    const lines = episodes.map(({ m, e }) => {
      const s = Date.parse(e.start);
      const f = Date.parse(e.end);
      const usual = e.usual === null ? '' : `, usual ${formatValue(e.usual, m.unit)}`;
      return (
        `<br /><span style="color:#6b7280;white-space:nowrap">${escapeHtml(formatTimeRange(s, f, timezone))}</span> ` +
        `${escapeHtml(m.label)} peaked at ${escapeHtml(formatValue(e.peak, m.unit))}${escapeHtml(usual)} (${formatDuration(f - s)})`
      );
    });
    parts.push(`<div><b>Unusual stretches</b>${lines.join('')}</div>`);
  }
  parts.push(eventLines('Incidents', stack.events.incidents, timezone));
  parts.push(eventLines('Deployments', stack.events.deployments, timezone));
  parts.push(eventLines('Alerts', stack.events.alerts, timezone));
  return parts.filter(Boolean).join('');
}

function heading(verdict: Verdict, text: string): string {
  return renderTemplate('heading', { heading: text, color: verdictStyle[verdict].fg });
}

function fullStack(
  stack: StackReport,
  timezone: string,
  chart: DocumentOptions['chart'],
  postmortemNote?: DocumentOptions['postmortemNote'],
): string {
  const note = postmortemNote?.(stack);
  const postmortem = note
    ? `<div style="margin-top:4px"><b>Post-mortem starter</b>: ${escapeHtml(note)}</div>`
    : '';
  return renderTemplate('stack', {
    color: verdictStyle[stack.verdict].fg,
    name: stackName(stack, titleLink),
    meta: metaLine(stack),
    reasons: reasonList(stack) || '&nbsp;',
    metrics: metricTable(stack),
    charts: charts(stack, chart) || '&nbsp;',
    details: details(stack, timezone) + postmortem || '&nbsp;',
  });
}

/** One line per stack: name, team and its first reason. */
function compactStack(stack: StackReport): string {
  const reason = reasonsOf(stack)[0];
  const team = stack.team ? ` <span style="color:#6b7280">· ${escapeHtml(stack.team)}</span>` : '';
  return `<div style="margin-bottom:4px"><b>${stackName(stack)}</b>${team}${reason ? ` — ${escapeHtml(reason)}` : ''}</div>`;
}

/** A stack's name and team, then its reasons one a line. */
function notedStack(stack: StackReport): string {
  const team = stack.team ? ` <span style="color:#6b7280">· ${escapeHtml(stack.team)}</span>` : '';
  const lines = stackNotes(stack)
    .map((r) => `<br />– ${escapeHtml(r)}`)
    .join('');
  return `<div style="margin-bottom:6px"><b>${stackName(stack)}</b>${team}${lines}</div>`;
}

/** What an unknown stack is missing: its reasons, else its unknown metrics' reasons. */
function unknownStack(stack: StackReport): string {
  if (stack.reasons.length) return notedStack(stack);
  const missing = stack.metrics
    .filter((m) => m.verdict === 'unknown')
    .map((m) => m.reason || `${m.label}: not enough data`);
  return notedStack({ ...stack, reasons: missing });
}

/** Normal stacks, grouped by team when there are teams: the compact list that keeps a fleet small. */
function normalList(stacks: StackReport[]): string {
  const groups = new Map<string, StackReport[]>();
  for (const s of stacks) {
    const key = s.team ?? '';
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const lines = [...groups.entries()].map(([team, members]) => {
    // Short names never break across lines; long ones may, so a phone never scrolls sideways.
    const names = members
      .map((s) => {
        const link =
          stackName(s, 'text-decoration:none') +
          (s.streak ? ` <span style="color:#6b7280">(${escapeHtml(streakTag(s.streak))})</span>` : '');
        return (s.name || s.id).length <= 32 ? `<span style="white-space:nowrap">${link}</span>` : link;
      })
      .join(' · ');
    return `<div style="margin-bottom:4px">${team ? `<b>${escapeHtml(team)}</b>: ` : groups.size > 1 ? '<b>no team</b>: ' : ''}${names}</div>`;
  });
  return lines.join('');
}

/** Plain normal stacks as a count per team, for a fleet too large to name them in an email. */
function normalCounts(stacks: StackReport[]): string {
  const counts = new Map<string, number>();
  for (const s of stacks) counts.set(s.team ?? '', (counts.get(s.team ?? '') ?? 0) + 1);
  const parts = [...counts.entries()].map(
    ([team, n]) =>
      `${team ? `<b>${escapeHtml(team)}</b>` : counts.size > 1 ? '<b>no team</b>' : 'stacks'}: ${n}`,
  );
  const note = `<div style="color:#6b7280;font-size:12px;margin-top:4px">Too many to name in an email; report.html lists every one.</div>`;
  return `<div style="margin-bottom:4px">${parts.join(' · ')}</div>${note}`;
}

function list(items: string): string {
  return renderTemplate('list', { items });
}

function sourcesLine(report: Report): string {
  const lines = report.sources.map((s) => {
    const color = s.status === 'ok' ? '#067647' : s.status === 'partial' ? '#93370d' : '#b42318';
    const facts = [`${s.requests} request${s.requests === 1 ? '' : 's'}`];
    if (s.retries) facts.push(`${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}`);
    const errors = s.errors.slice(0, 3).map((e) => (e.length > 160 ? `${e.slice(0, 159)}…` : e));
    if (s.errors.length > errors.length) errors.push(`and ${s.errors.length - errors.length} more`);
    const errorText = errors.length ? ` — ${escapeHtml(errors.join('; '))}` : '';
    return `${escapeHtml(s.id)} (${escapeHtml(s.type)}): <b style="color:${color}">${escapeHtml(s.status)}</b>, ${facts.join(', ')}${errorText}`;
  });
  const metrics = report.stacks.flatMap((s) => s.metrics);
  const judged = metrics.filter((m) => m.verdict !== 'unknown').length;
  lines.push(`Metrics with enough data to judge: ${judged} of ${metrics.length}`);
  return lines.join('<br />');
}

function methodLine(report: Report): string {
  const hours = Math.round((Date.parse(report.window.end) - Date.parse(report.window.start)) / 3_600_000);
  const n = report.baseline.days;
  const against =
    report.baseline.mode === 'weekly'
      ? `the same hours on the same weekday of the previous ${n} weeks`
      : `the same hours on the previous ${n} days`;
  return escapeHtml(
    `Each metric's last ${hours} h against ${against} (median and a robust spread). ` +
      'Bad: an objective breached, clearly worse than usual, or a sustained stretch outside the usual band. ' +
      'Good: clearly better. Unknown: too little data to judge.',
  );
}

function previewText(report: Report): string {
  const bad = orderedStacks(report)
    .filter((s) => s.verdict === 'bad')
    .map((s) => s.name || s.id);
  const names = bad.length ? `: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? '…' : ''}` : '';
  const line = countsLine(report.summary, report.stacks).replace(/^(\d+ bad)/, `$1${names}`);
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** Words for a bar chart's alt text: the counts themselves, so nothing is lost without images. */
export function deliveryAlt(tally: DeliveryTally): string {
  return `Deploys a day, oldest first: ${tally.perDay.map((c) => (c === null ? 'unknown' : String(c))).join(', ')}`;
}

/**
 * The delivery section: per team (and the fleet), the bars, then the counts and the change-failure
 * estimate in words. Stacked, not side by side, so it reads at 375 px; plain blocks for Outlook.
 */
function deliveryHtml(
  report: Report,
  chart: DocumentOptions['deliveryChart'],
): { html: string; days: number } | undefined {
  const section = report.delivery;
  if (!section) return undefined;
  const days = section.days.length || section.fleet.perDay.length;
  const rows = deliveryRows(section).map(({ name, tally }, i) => {
    const picture = tally.stacks > 0 ? (chart?.(i, tally) ?? null) : null;
    const img = picture
      ? `<img src="${escapeHtml(picture.src)}" width="${picture.width}" height="${picture.height}" alt="${escapeHtml(picture.alt)}" style="display:block;border:0;max-width:100%;height:auto;margin:2px 0">`
      : '';
    const unknown = tally.unknownStacks.length > 0 ? `;color:${verdictStyle.unknown.fg}` : '';
    return `<div style="margin-bottom:8px"><b>${escapeHtml(name)}</b>${img}<span style="font-size:12px${unknown}">${escapeHtml(deliveryLine(tally, days))}</span></div>`;
  });
  const note = `<div style="color:#6b7280;font-size:11px">${escapeHtml(deliveryNote)}</div>`;
  const title = `<div style="font-weight:bold;color:${verdictStyle.normal.fg};margin-bottom:6px">How we ship — last ${days} days</div>`;
  return { html: `<div class="deploys">${title}${rows.join('')}${note}</div>`, days };
}

/** The whole MJML document. */
export function buildDocument(report: Report, options: DocumentOptions): string {
  const tz = usableZone(report.window.timezone);
  const start = Date.parse(report.window.start);
  const end = Date.parse(report.window.end);
  const candidates = detailCandidates(report);
  const full = new Set(candidates.slice(0, Math.max(0, options.detailLimit)));
  const ordered = orderedStacks(report);
  const by = (v: Verdict) => ordered.filter((s) => s.verdict === v);

  const sections: string[] = [];
  for (const verdict of ['bad', 'unknown', 'good', 'normal'] as const) {
    const stacks = by(verdict);
    if (verdict === 'bad' && stacks.length === 0) {
      sections.push(heading('good', 'No stack needs discussion today'));
      continue;
    }
    if (!stacks.length) continue;
    const n = stacks.length;
    if (verdict === 'bad') sections.push(heading('bad', `Needs discussion — ${n} bad`));
    if (verdict === 'unknown') sections.push(heading('unknown', `Not enough data to judge — ${n} unknown`));
    if (verdict === 'good') sections.push(heading('good', `Better than usual — ${n} good`));
    if (verdict === 'normal') sections.push(heading('normal', `Within the usual range — ${n} normal`));

    if (verdict === 'normal') {
      // Normal stacks with notes (an unknown or light bad metric) say them; the rest stay a compact list.
      const noted = stacks.filter(hasNotes);
      const plain = stacks.filter((s) => !hasNotes(s));
      const rest = !plain.length
        ? ''
        : options.normalNames === false
          ? normalCounts(plain)
          : normalList(plain);
      sections.push(list(noted.map(notedStack).join('') + rest));
    } else if (verdict === 'unknown') sections.push(list(stacks.map(unknownStack).join('')));
    else {
      for (const s of stacks.filter((x) => full.has(x)))
        sections.push(fullStack(s, tz, options.chart, options.postmortemNote));
      const short = stacks.filter((x) => !full.has(x));
      if (short.length) {
        const note = `<div style="color:#6b7280;font-size:12px;margin-bottom:6px">${short.length} more ${verdict} stack${short.length === 1 ? '' : 's'} in short form to keep this email small; report.html has every detail.</div>`;
        sections.push(list(note + short.map(compactStack).join('')));
      }
    }
  }

  const calendar = calendarTable(report, tz, options.calendarLimit);
  if (calendar) {
    sections.push(heading('normal', 'Last 14 days'));
    sections.push(list(calendar));
  }

  const delivery = deliveryHtml(report, options.deliveryChart);
  // Heading and rows in one section: every MJML section costs ~2 KB of the email's budget.
  if (delivery) sections.push(list(delivery.html));

  const counts = [
    pill('bad', `${report.summary.bad} bad`, report.summary.bad === 0),
    pill('good', `${report.summary.good} good`, report.summary.good === 0),
    pill('normal', `${report.summary.normal} normal`, report.summary.normal === 0),
  ];
  if (report.summary.unknown > 0) counts.push(pill('unknown', `${report.summary.unknown} unknown`));

  const subtitle = [
    `<b>${escapeHtml(formatLongDate(end, tz))}</b>${options.audience ? ` · for ${escapeHtml(options.audience)}` : ''}`,
    `${escapeHtml(formatWindow(start, end, tz))}`,
    ...(report.onCall ?? []).map(
      (o) =>
        `On call, ${escapeHtml(o.team)}: ${o.status === 'unknown' ? `<span style="color:#93370d">${escapeHtml(onCallText(o))}</span>` : `<b>${escapeHtml(onCallText(o))}</b>`}`,
    ),
  ].join('<br />');

  return renderTemplate('email', {
    title: report.title,
    preview: previewText(report),
    subtitle,
    counts: counts.join(' '),
    sections: sections.join('\n'),
    sources: sourcesLine(report),
    method: methodLine(report),
    generated: escapeHtml(
      `Generated ${formatEventTime(Date.parse(report.generatedAt), tz)} (${tz}) by scrumops, report schema v${report.schemaVersion}.`,
    ),
  });
}
