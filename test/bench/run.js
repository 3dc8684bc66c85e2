#!/usr/bin/env node
/**
 * `npm run bench`: timings and sizes that tests must not assert (they vary by machine).
 * Runs on the built code in dist/. Prints one line per figure.
 *   - classify: a 50-stack × 4-metric fleet, 8 days at 5-minute steps, one report
 *   - backtest: 100 stacks × 4 metrics, 90 report times from one fetch (97 days of readings), and the
 *               cost per metric-day (target ≤ 0.1 ms; the whole backtest < 10 s)
 *   - render:   Markdown, text and the email HTML (charts as PNG) of that report, and its size
 *   - demo:     the whole `npm start` pipeline in-process
 */
const { performance } = require('node:perf_hooks');
const { resolve } = require('node:path');
const { buildReport } = require('../../dist/report/build');
const { reportWindows } = require('../../dist/plan/windows');
const { loadConfig } = require('../../dist/config/load');
const { generateReports } = require('../../dist/pipeline');
const { renderHtml } = require('../../dist/render/html');
const { renderMarkdown } = require('../../dist/render/markdown');
const { renderText } = require('../../dist/render/text');
const { silentLogger } = require('../../dist/logger');
const { ColumnSeries } = require('../../dist/sources/columns');
const { defaultThresholds } = require('../../dist/config/load');

const step = 5 * 60_000;
const end = Date.parse('2026-11-26T08:00:00Z');
const settings = {
  title: 'Bench fleet',
  timezone: 'Europe/Berlin',
  at: '09:00',
  window: '24h',
  baseline: { mode: 'daily', days: 7, exclude: [] },
  thresholds: defaultThresholds,
};

function seeded(seed) {
  let a = seed >>> 0;
  return () => (a = (a * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function fleet(stacks, days) {
  const random = seeded(7);
  const metrics = ['latency', 'errors', 'throughput', 'cpu'];
  const specs = [];
  const series = [];
  for (let s = 0; s < stacks; s++) {
    const id = `stack-${s}`;
    specs.push({
      id,
      name: `Stack ${s}`,
      team: `team-${s % 5}`,
      vars: {},
      links: {},
      events: {},
      metrics: metrics.map((m, i) => ({
        id: m,
        label: m,
        source: 'bench',
        query: m,
        template: m,
        vars: {},
        unit: i === 0 ? 's' : '',
        direction: i === 2 ? 'neutral' : 'lower',
        aggregation: 'mean',
        critical: i < 2,
        weight: 1,
        thresholds: defaultThresholds,
      })),
    });
    for (const m of metrics) {
      const bad = s % 10 === 0 && m === 'latency';
      const n = Math.round((days * 86_400_000) / step);
      const times = new Float64Array(n);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = end - days * 86_400_000 + i * step;
        const daily = 1 + 0.5 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000);
        const shift = bad && t > end - 10 * 3_600_000 ? 1.8 : 1;
        times[i] = t;
        values[i] = daily * shift * (1 + 0.05 * (random() - 0.5));
      }
      // Columns, as the Datadog source hands them over: the bench measures classification, not tuples.
      series.push(new ColumnSeries(id, m, { times, values }));
    }
  }
  return { specs, series };
}

function time(label, fn, runs = 3) {
  let best = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(1).padStart(8)} ms (best of ${runs})`);
  return result;
}

async function timeAsync(label, fn, runs = 3) {
  let best = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(1).padStart(8)} ms (best of ${runs})`);
  return result;
}

async function main() {
  const { specs, series } = fleet(50, 8);
  const config = { report: settings, stacks: specs };
  const data = {
    series,
    events: [],
    failures: [],
    health: [{ id: 'bench', type: 'file', status: 'ok', requests: 1, retries: 0, errors: [] }],
  };
  const report = time('classify: 50 stacks × 4 metrics, 8 days, 5-min', () =>
    buildReport({ config, stacks: specs, windows: reportWindows(end, settings), data, generatedAt: end }),
  );
  const backtest = fleet(100, 97);
  const reportTimes = 90;
  const metricDays = 100 * 4 * reportTimes;
  const ms = time(
    `backtest: 100 stacks × 4 metrics, ${reportTimes} report times`,
    () => {
      const t0 = performance.now();
      for (let k = reportTimes - 1; k >= 0; k--) {
        buildReport({
          config,
          stacks: backtest.specs,
          windows: reportWindows(end - k * 86_400_000, settings),
          data: { ...data, series: backtest.series },
          generatedAt: end,
          charts: false,
        });
      }
      return performance.now() - t0;
    },
    1,
  );
  console.log(`${'backtest: per metric-day'.padEnd(52)} ${(ms / metricDays).toFixed(3).padStart(8)} ms`);
  time('render: Markdown + text', () => renderMarkdown(report) + renderText(report));
  const email = await timeAsync('render: email HTML with PNG charts (cid)', () =>
    renderHtml(report, { images: 'cid' }),
  );
  console.log(
    `${'size: email HTML, 50 stacks'.padEnd(52)} ${(Buffer.byteLength(email.html) / 1024).toFixed(1).padStart(8)} KB, ${email.images.length} charts`,
  );
  console.log(
    `${'size: report.json, 50 stacks'.padEnd(52)} ${(Buffer.byteLength(JSON.stringify(report)) / 1024).toFixed(1).padStart(8)} KB`,
  );

  const demo = loadConfig(resolve(__dirname, '../../config/demo.yaml'), {});
  await timeAsync('demo: load, fetch files, classify (7 stacks)', () =>
    generateReports(
      demo,
      { times: [end], generatedAt: end },
      { logger: silentLogger, now: Date.now, sleep: async () => {}, random: Math.random },
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
