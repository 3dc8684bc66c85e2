/**
 * Deployments per day as a small bar chart (SVG): one bar per report day, today last and darker, the
 * busiest day's count on top, the first and last day's date underneath. A day whose count is unknown
 * gets a hatched grey stub, never a zero-height bar that would read as "no deploys". Pure.
 */
import { escapeXml } from './sparkline';

export interface DeployBarsOptions {
  /** The day-of-month (or any short label) of each bar, oldest first; the first and last are drawn. */
  labels: readonly string[];
  width?: number;
  height?: number;
}

export const deployBarsSize = { width: 168, height: 44 } as const;

const colors = { bar: '#7a93b8', today: '#1f2a44', unknown: '#d0d5dd', text: '#6b7280', grid: '#e5e7eb' };
const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** The SVG, or null when there is no day at all. */
export function deployBarsSvg(perDay: readonly (number | null)[], options: DeployBarsOptions): string | null {
  const n = perDay.length;
  if (n === 0) return null;
  const width = options.width ?? deployBarsSize.width;
  const height = options.height ?? deployBarsSize.height;
  const pad = { top: 11, bottom: 11, side: 1 };
  const plotHeight = height - pad.top - pad.bottom;
  const slot = (width - 2 * pad.side) / n;
  const barWidth = Math.max(2, slot - 3);
  const max = Math.max(1, ...perDay.map((c) => c ?? 0));
  const base = height - pad.bottom;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<line x1="0" y1="${fmt(base + 0.5)}" x2="${width}" y2="${fmt(base + 0.5)}" stroke="${colors.grid}" stroke-width="1"/>`,
  ];
  perDay.forEach((count, i) => {
    const x = pad.side + i * slot + (slot - barWidth) / 2;
    if (count === null) {
      parts.push(
        `<rect x="${fmt(x)}" y="${fmt(base - 4)}" width="${fmt(barWidth)}" height="4" fill="${colors.unknown}"/>`,
      );
      return;
    }
    if (count === 0) return;
    const h = Math.max(2, (count / max) * plotHeight);
    const fill = i === n - 1 ? colors.today : colors.bar;
    parts.push(
      `<rect x="${fmt(x)}" y="${fmt(base - h)}" width="${fmt(barWidth)}" height="${fmt(h)}" fill="${fill}"/>`,
    );
  });
  parts.push(
    `<text x="${width - 1}" y="9" font-size="8.5" fill="${colors.text}" text-anchor="end">max ${max}/day</text>`,
  );
  const first = options.labels[0];
  const last = options.labels[n - 1];
  if (first !== undefined)
    parts.push(
      `<text x="1" y="${height - 1}" font-size="8.5" fill="${colors.text}">${escapeXml(first)}</text>`,
    );
  if (last !== undefined)
    parts.push(
      `<text x="${width - 1}" y="${height - 1}" font-size="8.5" fill="${colors.text}" text-anchor="end">${escapeXml(last)}</text>`,
    );
  parts.push('</svg>');
  return parts.join('');
}
