/**
 * Sparkline of one metric's day as an SVG string: today's line over the band the baseline draws
 * for the same hours (low–high filled, median dashed), episodes shaded, the label on top and local
 * clock ticks underneath. Pure: no I/O, no clock; times are formatted in the zone given.
 */
import type { ChartData, Episode } from '../../report/types';

export interface SparklineOptions {
  /** Text at the top left, usually the metric label. Escaped here. */
  label: string;
  /** Time zone of the tick labels (the report's). */
  timezone: string;
  /** Formats a value for the top-right note ("max 930 ms"); omit to leave the note out. */
  formatValue?: (value: number) => string;
  /** Line colour; defaults to a dark slate that reads on the white background. */
  color?: string;
  /** CSS pixel size; the PNG is rendered at `scale` times this. */
  width?: number;
  height?: number;
}

export const sparklineSize = { width: 280, height: 72 } as const;

const colors = {
  band: '#dbe6f3',
  mid: '#8aa1bd',
  line: '#1f2a44',
  episode: '#f5b5ad',
  text: '#374151',
  tick: '#6b7280',
  grid: '#e5e7eb',
};

const fontFamily = 'DejaVu Sans';

/** Escape text for SVG (XML) content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** Rough width of DejaVu Sans text at `size` px: good enough to truncate a label that would not fit. */
function textWidth(text: string, size: number): number {
  return [...text].length * size * 0.6;
}

function truncate(text: string, size: number, maxWidth: number): string {
  if (textWidth(text, size) <= maxWidth) return text;
  const chars = [...text];
  const keep = Math.max(1, Math.floor(maxWidth / (size * 0.6)) - 1);
  return `${chars.slice(0, keep).join('').trimEnd()}…`;
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** Split a series into runs of consecutive non-null points. */
function runs<T>(length: number, valueAt: (i: number) => T | null): { i: number; v: T }[][] {
  const out: { i: number; v: T }[][] = [];
  let current: { i: number; v: T }[] = [];
  for (let i = 0; i < length; i++) {
    const v = valueAt(i);
    if (v === null) {
      if (current.length) out.push(current);
      current = [];
    } else current.push({ i, v });
  }
  if (current.length) out.push(current);
  return out;
}

const clockFormatters = new Map<string, Intl.DateTimeFormat>();

function localClock(epochMs: number, timezone: string): { hour: number; minute: number } {
  let f = clockFormatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone: timezone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'UTC',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    }
    clockFormatters.set(timezone, f);
  }
  const parts = f.formatToParts(epochMs);
  const num = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { hour: num('hour'), minute: num('minute') };
}

/** Ticks already found: every chart of a report shares its window, and a fleet draws thousands. */
const knownTicks = new Map<string, { t: number; label: string }[]>();

/** Local whole hours divisible by `every` inside [from, to], found on a 15-minute grid (half-hour zones too). */
function ticks(from: number, to: number, timezone: string, every: number): { t: number; label: string }[] {
  const key = `${from} ${to} ${timezone} ${every}`;
  let out = knownTicks.get(key);
  if (!out) {
    out = findTicks(from, to, timezone, every);
    if (knownTicks.size > 1000) knownTicks.clear();
    knownTicks.set(key, out);
  }
  return out;
}

function findTicks(
  from: number,
  to: number,
  timezone: string,
  every: number,
): { t: number; label: string }[] {
  const step = 15 * 60_000;
  const out: { t: number; label: string }[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const { hour, minute } = localClock(t, timezone);
    if (minute === 0 && hour % every === 0) out.push({ t, label: `${String(hour).padStart(2, '0')}:00` });
  }
  return out;
}

/**
 * Build the sparkline SVG. Returns null when the chart holds no current value and no band to draw.
 */
export function sparklineSvg(
  chart: ChartData,
  episodes: readonly Episode[],
  options: SparklineOptions,
): string | null {
  const width = options.width ?? sparklineSize.width;
  const height = options.height ?? sparklineSize.height;
  const n = chart.value.length;
  if (n === 0) return null;
  const at = <T>(arr: readonly (T | null)[], i: number): T | null => arr[i] ?? null;
  const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

  const all: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const v of [at(chart.value, i), at(chart.low, i), at(chart.high, i), at(chart.mid, i)]) {
      if (finite(v)) all.push(v);
    }
  }
  if (all.length === 0) return null;

  const pad = { left: 3, right: 3, top: 16, bottom: 14 };
  const plot = { x0: pad.left, x1: width - pad.right, y0: pad.top, y1: height - pad.bottom };
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < Math.abs(hi) * 1e-9 || hi === lo) {
    const d = Math.abs(hi) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const margin = (hi - lo) * 0.08;
  lo -= margin;
  hi += margin;

  const t0 = chart.start;
  const bucket = chart.stepMs;
  const t1 = t0 + n * bucket;
  const x = (t: number) => plot.x0 + ((t - t0) / (t1 - t0 || 1)) * (plot.x1 - plot.x0);
  // Points sit in the middle of their bucket.
  const xi = (i: number) => x(t0 + i * bucket + bucket / 2);
  const y = (v: number) => plot.y1 - ((v - lo) / (hi - lo)) * (plot.y1 - plot.y0);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${fontFamily}">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<line x1="${plot.x0}" y1="${fmt(plot.y1 + 0.5)}" x2="${plot.x1}" y2="${fmt(plot.y1 + 0.5)}" stroke="${colors.grid}" stroke-width="1"/>`,
  );

  // Episodes first, so the band and the line stay readable on top of the shading.
  for (const e of episodes) {
    const s = Math.max(t0, Date.parse(e.start));
    const f = Math.min(t1, Date.parse(e.end));
    if (!(f > s)) continue;
    const xs = x(s);
    const w = Math.max(2, x(f) - xs);
    parts.push(
      `<rect x="${fmt(xs)}" y="${plot.y0}" width="${fmt(w)}" height="${plot.y1 - plot.y0}" fill="${colors.episode}" fill-opacity="0.55"/>`,
    );
  }

  // Band: high along time, then low back.
  const band = runs(n, (i) => {
    const l = at(chart.low, i);
    const h = at(chart.high, i);
    return finite(l) && finite(h) ? { l, h } : null;
  });
  for (const run of band) {
    const top = run.map((p) => `${fmt(xi(p.i))},${fmt(y(p.v.h))}`);
    const bottom = run.map((p) => `${fmt(xi(p.i))},${fmt(y(p.v.l))}`).reverse();
    parts.push(`<path d="M${top.join('L')}L${bottom.join('L')}Z" fill="${colors.band}"/>`);
  }
  for (const run of runs(n, (i) => (finite(at(chart.mid, i)) ? at(chart.mid, i) : null))) {
    if (run.length < 2) continue;
    const d = run.map((p) => `${fmt(xi(p.i))},${fmt(y(p.v))}`).join('L');
    parts.push(
      `<path d="M${d}" fill="none" stroke="${colors.mid}" stroke-width="1" stroke-dasharray="3 2"/>`,
    );
  }
  const values: number[] = [];
  for (const run of runs(n, (i) => (finite(at(chart.value, i)) ? at(chart.value, i) : null))) {
    for (const p of run) values.push(p.v);
    if (run.length === 1) {
      const p = run[0]!;
      parts.push(
        `<circle cx="${fmt(xi(p.i))}" cy="${fmt(y(p.v))}" r="1.5" fill="${options.color ?? colors.line}"/>`,
      );
      continue;
    }
    const d = run.map((p) => `${fmt(xi(p.i))},${fmt(y(p.v))}`).join('L');
    parts.push(
      `<path d="M${d}" fill="none" stroke="${options.color ?? colors.line}" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
  }

  // Texts: label top left, "max …" top right, local clock ticks below.
  let note = '';
  if (options.formatValue && values.length) note = `max ${options.formatValue(Math.max(...values))}`;
  const noteWidth = note ? textWidth(note, 9) + 8 : 0;
  const label = truncate(options.label, 10, width - pad.left - pad.right - noteWidth);
  parts.push(`<text x="${pad.left}" y="11" font-size="10" fill="${colors.text}">${escapeXml(label)}</text>`);
  if (note) {
    parts.push(
      `<text x="${width - pad.right}" y="11" font-size="9" fill="${colors.tick}" text-anchor="end">${escapeXml(note)}</text>`,
    );
  }
  for (const tick of ticks(t0, t1, options.timezone, 6)) {
    const tx = x(tick.t);
    const anchor = tx < 16 ? 'start' : tx > width - 16 ? 'end' : 'middle';
    parts.push(
      `<line x1="${fmt(tx)}" y1="${plot.y1}" x2="${fmt(tx)}" y2="${plot.y1 + 3}" stroke="${colors.tick}" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${fmt(tx)}" y="${height - 2}" font-size="8.5" fill="${colors.tick}" text-anchor="${anchor}">${tick.label}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
