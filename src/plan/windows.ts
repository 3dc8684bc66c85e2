/**
 * Report times and windows (design §4), on the wall clock of the report's time zone: a 24h window
 * on a DST-change day is 23 or 25 hours long, and every baseline window ends at the same local time.
 */
import { TZDate } from '@date-fns/tz';
import { addDays, addMinutes, formatISO, subDays } from 'date-fns';
import { UsageError } from '../errors';
import type { ReportSettings } from '../config/types';

/** Half-open interval [start, end) in epoch ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface ReportWindows {
  current: TimeWindow;
  /** Newest first; at most `baseline.days`, fewer only when exclusions run past the look-back limit. */
  baselines: TimeWindow[];
}

/** A window length: whole days on the wall clock plus a remainder in minutes. */
export function parseWindowLength(text: string, what = 'window'): { days: number; minutes: number } {
  const match = /^(\d+)(m|h|d)$/.exec(text);
  if (!match) throw new UsageError(`${what} "${text}": expected a duration such as 24h, 90m or 1d`);
  const n = Number(match[1]);
  const minutes = match[2] === 'd' ? n * 1440 : match[2] === 'h' ? n * 60 : n;
  return { days: Math.floor(minutes / 1440), minutes: minutes % 1440 };
}

function localTime(at: string): { hours: number; minutes: number } {
  const [hours, minutes] = at.split(':').map(Number);
  return { hours: hours ?? 0, minutes: minutes ?? 0 };
}

/** The report time on a given local calendar day (y, m 1-based, d) at `settings.at`. */
function atOnDay(settings: ReportSettings, y: number, m: number, d: number): number {
  const { hours, minutes } = localTime(settings.at);
  return +new TZDate(y, m - 1, d, hours, minutes, 0, settings.timezone);
}

/** The most recent `report.at` (local) that is not after `now`: a late run reports the same window. */
export function latestReportTime(settings: ReportSettings, now: number): number {
  const local = new TZDate(now, settings.timezone);
  const today = atOnDay(settings, local.getFullYear(), local.getMonth() + 1, local.getDate());
  if (today <= now) return today;
  const yesterday = subDays(local, 1);
  return atOnDay(settings, yesterday.getFullYear(), yesterday.getMonth() + 1, yesterday.getDate());
}

/** `--at`: an ISO instant (with offset or Z), or a date YYYY-MM-DD meaning that day at `report.at`. */
export function parseReportTime(input: string, settings: ReportSettings, option = '--at'): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const t = atOnDay(settings, y, m, d);
    const check = new TZDate(t, settings.timezone);
    if (Number.isNaN(t) || check.getMonth() + 1 !== m || check.getDate() !== d) {
      throw new UsageError(`${option} "${input}": not a calendar date`);
    }
    return t;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(input)) {
    const t = Date.parse(input);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(
    `${option} "${input}": expected a date (2026-11-26) or an ISO instant with offset (2026-11-26T08:00:00Z)`,
  );
}

/** Every report time from `from` through `to` (inclusive), stepping `every` ("1d" by the wall clock). */
export function reportTimesBetween(
  from: number,
  to: number,
  every: string,
  settings: ReportSettings,
): number[] {
  const step = parseWindowLength(every, '--every');
  if (step.days === 0 && step.minutes === 0)
    throw new UsageError(`--every "${every}": must be longer than zero`);
  const times: number[] = [];
  let t = new TZDate(from, settings.timezone);
  while (+t <= to) {
    times.push(+t);
    t = addMinutes(addDays(t, step.days), step.minutes);
  }
  return times;
}

function windowEndingAt(end: TZDate, length: { days: number; minutes: number }): TimeWindow {
  return { start: +addMinutes(subDays(end, length.days), -length.minutes), end: +end };
}

/** Local calendar days (YYYY-MM-DD) a window touches. */
function daysTouched(window: TimeWindow, timezone: string): string[] {
  const days: string[] = [];
  let d = new TZDate(window.start, timezone);
  const last = formatISO(new TZDate(window.end - 1, timezone), { representation: 'date' });
  for (;;) {
    const day = formatISO(d, { representation: 'date' });
    days.push(day);
    if (day >= last) return days;
    d = addDays(d, 1);
  }
}

/**
 * The current window and the baseline windows for report time `t`. A baseline window that touches an
 * excluded day is skipped and replaced by the next older one, looking back at most 4× further.
 */
export function reportWindows(t: number, settings: ReportSettings): ReportWindows {
  const length = parseWindowLength(settings.window);
  const end = new TZDate(t, settings.timezone);
  const current = windowEndingAt(end, length);
  const shiftDays = settings.baseline.mode === 'weekly' ? 7 : 1;
  const excluded = new Set(settings.baseline.exclude);
  const baselines: TimeWindow[] = [];
  const lookBack = settings.baseline.days * 4 + excluded.size;
  for (let k = 1; k <= lookBack && baselines.length < settings.baseline.days; k++) {
    const window = windowEndingAt(subDays(end, k * shiftDays), length);
    if (excluded.size > 0 && daysTouched(window, settings.timezone).some((d) => excluded.has(d))) continue;
    baselines.push(window);
  }
  return { current, baselines };
}

/** The `count` report times before `t`, one a day at the same wall-clock time, oldest first. */
export function earlierReportTimes(t: number, count: number, settings: ReportSettings): number[] {
  const end = new TZDate(t, settings.timezone);
  const times: number[] = [];
  for (let k = count; k >= 1; k--) times.push(+subDays(end, k));
  return times;
}
