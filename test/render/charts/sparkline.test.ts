import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  bundledFontFile,
  sparklinePng,
  sparklineSize,
  sparklineSvg,
  svgToPng,
} from '../../../src/render/charts';
import type { ChartData, Episode } from '../../../src/report/types';
import { hostile, sampleReport, sampleWindow } from '../../fixtures/sample-report';

const start = Date.parse(sampleWindow.start);
const hour = 3_600_000;

/** 24 hourly buckets from the sample window's start, a flat band around 100 and a line at `value(i)`. */
function hourly(value: (i: number) => number | null): ChartData {
  const t = Array.from({ length: 24 }, (_, i) => start + i * hour);
  return {
    start,
    stepMs: hour,
    value: t.map((_, i) => value(i)),
    low: t.map(() => 90),
    mid: t.map(() => 100),
    high: t.map(() => 110),
  };
}

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const options = { label: 'p95 latency', timezone: 'Europe/Berlin' };

describe('sparklineSvg', () => {
  it('draws the band, the usual (median) line, today’s line and each episode in the right place', () => {
    const episode: Episode = {
      start: new Date(start + 6 * hour).toISOString(),
      end: new Date(start + 10 * hour).toISOString(),
      peak: 300,
      usual: 100,
    };

    const svg = sparklineSvg(
      hourly((i) => (i >= 6 && i < 10 ? 300 : 100)),
      [episode],
      options,
    )!;

    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="280" height="72"/);
    expect(svg.match(/fill="#dbe6f3"/g)).toHaveLength(1);
    expect(svg).toContain('stroke-dasharray="3 2"');
    expect(svg.match(/stroke-width="1.6"/g)).toHaveLength(1);
    // Plot spans x 3..277 over 24 h: 6 h in is x = 3 + 274 × 6/24 = 71.5; 4 h is 274 × 4/24 ≈ 45.7 wide.
    expect(svg).toContain('<rect x="71.5" y="16" width="45.7"');
  });

  it('leaves gaps where there is no data instead of drawing across them', () => {
    const svg = sparklineSvg(
      hourly((i) => (i >= 10 && i < 13 ? null : 100 + i)),
      [],
      options,
    )!;

    expect(svg.match(/stroke-width="1.6"/g)).toHaveLength(2);
  });

  it.each([
    ['Europe/Berlin', ['12:00', '18:00', '00:00', '06:00']],
    ['UTC', ['12:00', '18:00', '00:00', '06:00']],
    ['Asia/Kolkata', ['18:00', '00:00', '06:00', '12:00']],
  ])('labels the time axis on the local clock of %s', (timezone, ticks) => {
    const svg = sparklineSvg(
      hourly(() => 100),
      [],
      { ...options, timezone },
    )!;

    const labels = [...svg.matchAll(/>(\d\d:00)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(ticks);
  });

  it('escapes the label and shortens one that would not fit', () => {
    const svg = sparklineSvg(
      hourly(() => 100),
      [],
      { ...options, label: hostile.metricLabel },
    )!;

    expect(svg).not.toContain('<img');
    expect(svg).toContain('p99 &#60;img src=x onerror=&#34;');
    expect(svg).toContain('…</text>');
  });

  it('notes the day’s maximum in the metric’s unit when given a formatter', () => {
    const svg = sparklineSvg(
      hourly((i) => 100 + i),
      [],
      { ...options, formatValue: (v) => `${v} ms` },
    )!;

    expect(svg).toContain('>max 123 ms</text>');
  });

  it.each([
    ['no buckets', { start, stepMs: hour, value: [], low: [], mid: [], high: [] }],
    ['nothing but nulls', { start, stepMs: hour, value: [null], low: [null], mid: [null], high: [null] }],
  ])('returns null for %s', (_name, chart: ChartData) => {
    expect(sparklineSvg(chart, [], options)).toBeNull();
  });
});

describe('PNG rendering', () => {
  it('renders at 2× for retina screens', () => {
    const png = sparklinePng(
      hourly(() => 100),
      [],
      options,
    )!;

    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(pngSize(png)).toEqual({ width: sparklineSize.width * 2, height: sparklineSize.height * 2 });
  });

  it('draws text with the bundled font (resvg would silently drop it without one)', () => {
    const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"></svg>';
    const text =
      '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"><text x="2" y="14" font-size="12">Hello</text></svg>';

    expect(svgToPng(text).equals(svgToPng(blank))).toBe(false);
    expect(existsSync(bundledFontFile)).toBe(true);
    expect(readFileSync(path.join(path.dirname(bundledFontFile), 'LICENSE'), 'utf8')).toContain('Bitstream');
  });

  it('gives the same bytes for the same chart every time (no system fonts, no clock)', () => {
    const metric = sampleReport().stacks[0]!.metrics[0]!;

    const a = sparklinePng(metric.chart!, metric.episodes, options)!;
    const b = sparklinePng(metric.chart!, metric.episodes, options)!;

    expect(a.equals(b)).toBe(true);
  });
});
