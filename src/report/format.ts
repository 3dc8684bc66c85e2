/** How numbers, changes and times read in every renderer and reason line. Pure. */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

function trim(n: number, digits: number): string {
  const abs = Math.abs(n);
  const d = abs >= 100 ? 0 : abs >= 10 ? Math.min(1, digits) : digits;
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

const byteUnits = ['B', 'KB', 'MB', 'GB', 'TB'];

/** A value in its unit, scaled for reading: 0.412 s → "412 ms", 0.012 ratio → "1.2%". */
export function formatValue(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 's':
      return Math.abs(value) < 1 ? `${trim(value * 1000, 1)} ms` : `${trim(value, 2)} s`;
    case 'ms':
      return Math.abs(value) >= 1000 ? `${trim(value / 1000, 2)} s` : `${trim(value, 1)} ms`;
    case '%':
      return `${trim(value, 2)}%`;
    case 'ratio':
      return `${trim(value * 100, 2)}%`;
    case 'bytes': {
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < byteUnits.length - 1) [v, i] = [v / 1024, i + 1];
      return `${trim(v, 1)} ${byteUnits[i]}`;
    }
    case '':
      return compact(value);
    default:
      return `${compact(value)} ${unit}`;
  }
}

function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9, 2)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6, 2)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3, 1)}k`;
  return trim(value, 2);
}

/** Relative change as a signed percentage: 0.47 → "+47%", −0.82 → "−82%". */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return '—';
  const pct = change * 100;
  const digits = Math.abs(pct) < 10 ? 1 : 0;
  const text = Math.abs(pct).toFixed(digits).replace(/\.0$/, '');
  if (Number(text) === 0) return '±0%';
  return `${pct < 0 ? '−' : '+'}${text}%`;
}

/** Local clock time in the report's zone: "14:05". */
export function formatClock(epochMs: number, timezone: string): string {
  return format(new TZDate(epochMs, timezone), 'HH:mm');
}

/** Local date in the report's zone: "2026-11-26". */
export function formatDay(epochMs: number, timezone: string): string {
  return format(new TZDate(epochMs, timezone), 'yyyy-MM-dd');
}

/** "Wed 25 Nov 09:00 – Thu 26 Nov 09:00 (Europe/Berlin)" */
export function formatWindow(start: number, end: number, timezone: string): string {
  const f = (t: number) => format(new TZDate(t, timezone), 'EEE d MMM HH:mm');
  return `${f(start)} – ${f(end)} (${timezone})`;
}

/** An event's time in the report's zone: "Wed 14:20". */
export function formatEventTime(iso: string, timezone: string): string {
  return format(new TZDate(Date.parse(iso), timezone), 'EEE HH:mm');
}
