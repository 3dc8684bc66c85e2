/** Times as the on-call reader thinks of them: wall clock in the report's time zone. Pure. */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

/** The zone if the runtime knows it, else UTC (a report must still render). */
export function usableZone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}

function at(epochMs: number, timezone: string): TZDate {
  return new TZDate(epochMs, timezone);
}

/** A time that did not parse shows as a dash instead of failing the whole report. */
const invalid = '—';

/** "Thu 26 Nov 2026" */
export function formatLongDate(epochMs: number, timezone: string): string {
  return Number.isFinite(epochMs) ? format(at(epochMs, timezone), 'EEE d MMM yyyy') : invalid;
}

/** "Wed 13:58" */
export function formatEventTime(epochMs: number, timezone: string): string {
  return Number.isFinite(epochMs) ? format(at(epochMs, timezone), 'EEE HH:mm') : invalid;
}

/** "Wed 14:05–14:50", or "Wed 23:30 – Thu 01:15" when the range crosses midnight. */
export function formatTimeRange(startMs: number, endMs: number, timezone: string): string {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return invalid;
  const s = at(startMs, timezone);
  const e = at(endMs, timezone);
  if (format(s, 'yyyy-MM-dd') === format(e, 'yyyy-MM-dd'))
    return `${format(s, 'EEE HH:mm')}–${format(e, 'HH:mm')}`;
  return `${format(s, 'EEE HH:mm')} – ${format(e, 'EEE HH:mm')}`;
}

/** "45 min", "2 h 45 min" */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return invalid;
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}
