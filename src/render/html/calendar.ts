/**
 * The 14-day health calendar: one row per stack that was not plain normal all fortnight, one cell per
 * report day coloured by its verdict, today last. Plain table cells with `bgcolor` (no CSS grid, no
 * flexbox) so Outlook's Word engine draws it too; each cell also holds a letter, so it reads without
 * colour. Sized for a 375 px phone: a short name column and 14 cells of 16 px. Pure.
 */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { streakTag } from '../../report/story/wording';
import type { Report, StackReport, Verdict } from '../../report/types';
import { orderedStacks } from '../common';
import { escapeHtml } from './escape';

export const calendarColors: Record<Verdict, { bg: string; fg: string; letter: string }> = {
  bad: { bg: '#d92d20', fg: '#ffffff', letter: 'B' },
  good: { bg: '#17b26a', fg: '#ffffff', letter: 'G' },
  normal: { bg: '#e4e7ec', fg: '#e4e7ec', letter: '' },
  unknown: { bg: '#fdb022', fg: '#ffffff', letter: '?' },
};

/** Stacks the calendar shows: any day of the fortnight not normal, bad ones first. */
export function calendarStacks(report: Report): StackReport[] {
  return orderedStacks(report).filter((s) => s.history?.some((d) => d.verdict !== 'normal'));
}

/** The calendar table, or '' when no stack has a history or every stack was normal all fortnight. */
export function calendarTable(report: Report, timezone: string, limit = Infinity): string {
  const stacks = calendarStacks(report);
  const days = stacks[0]?.history;
  if (!days || stacks.length === 0) return '';
  const shown = stacks.slice(0, Math.max(0, limit));
  const head = days
    .map((d, i) => {
      const t = new TZDate(Date.parse(d.at), timezone);
      const today = i === days.length - 1;
      return `<td width="16" style="font-size:9px;color:${today ? '#111827;font-weight:bold' : '#6b7280'}">${format(t, 'd')}</td>`;
    })
    .join('');
  const rows = shown.map((s) => {
    const cells = (s.history ?? [])
      .map((d) => {
        const c = calendarColors[d.verdict];
        // Every byte counts fifty times over in a fleet's email: colour and centring come from the
        // stylesheet's .cal rules, the background from bgcolor (which Outlook honours).
        return c.letter ? `<td bgcolor="${c.bg}">${c.letter}</td>` : `<td bgcolor="${c.bg}">&nbsp;</td>`;
      })
      .join('');
    const streak = s.streak
      ? `<span style="color:#6b7280;font-size:10px"> · ${escapeHtml(streakTag(s.streak))}</span>`
      : '';
    return `<tr><td class="cn">${escapeHtml(s.name || s.id)}${streak}</td>${cells}</tr>`;
  });
  const more =
    stacks.length > shown.length
      ? `<div style="color:#6b7280;font-size:12px;margin-top:4px">${stacks.length - shown.length} more stack${stacks.length - shown.length === 1 ? '' : 's'} with a day that was not normal; report.html has the whole calendar.</div>`
      : '';
  const legend = (['bad', 'unknown', 'good'] as const)
    .map(
      (v) =>
        `<span style="background:${calendarColors[v].bg};color:#fff;padding:0 4px">${calendarColors[v].letter}</span> ${v}`,
    )
    .join(' · ');
  return (
    `<table class="cal" role="presentation" cellpadding="0" cellspacing="2" border="0" style="border-collapse:separate;font-size:10px;line-height:16px;color:#ffffff">` +
    `<tr><td class="cn" style="font-size:9px;color:#6b7280">report day</td>${head}</tr>${rows.join('')}</table>` +
    `<div style="color:#6b7280;font-size:11px;margin-top:4px">${legend} · grey: normal. Each day judged with today's rules on the same data.</div>${more}`
  );
}
