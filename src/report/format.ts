/** How numbers, changes and times read in every renderer and reason line. Pure. */
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';

/** Beyond this a number is printed in scientific notation: 1.5e+21, not 22 groups of digits. */
const scientificFrom = 1e12;

/** Scientific notation with 3 significant digits: 1.5e+21, −2e+25. */
function scientific(n: number): string {
  return n
    .toExponential(2)
    .replace(/\.?0+e/, 'e')
    .replace(/^-/, '−');
}

/** One formatter per precision: building an Intl.NumberFormat per number (what toLocaleString does) costs ~1 s a 500-stack report. */
const numberFormats = new Map<number, Intl.NumberFormat>();
function numberFormat(digits: number): Intl.NumberFormat {
  let formatter = numberFormats.get(digits);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    numberFormats.set(digits, formatter);
  }
  return formatter;
}

function trim(n: number, digits: number): string {
  const abs = Math.abs(n);
  if (abs >= scientificFrom) return scientific(n);
  const d = abs >= 100 ? 0 : abs >= 10 ? Math.min(1, digits) : digits;
  return numberFormat(d).format(n);
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
  if (abs >= scientificFrom) return scientific(value);
  if (abs >= 1e9) return `${trim(value / 1e9, 2)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6, 2)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3, 1)}k`;
  return trim(value, 2);
}

/** Relative change as a signed percentage: 0.47 → "+47%", −0.82 → "−82%". */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return '—';
  const pct = change * 100;
  if (Math.abs(pct) >= 1e6) return `${pct < 0 ? '' : '+'}${scientific(pct)}%`;
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

const checkedZones = new Map<string, string>();

/**
 * The zone if the runtime knows it, else UTC (a report must still render). Remembered: asking means
 * building a formatter, and a fleet's charts ask thousands of times.
 */
export function usableZone(timezone: string): string {
  let zone = checkedZones.get(timezone);
  if (zone === undefined) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: timezone });
      zone = timezone;
    } catch {
      zone = 'UTC';
    }
    checkedZones.set(timezone, zone);
  }
  return zone;
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
