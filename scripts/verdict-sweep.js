#!/usr/bin/env node
/**
 * Sweep verdict thresholds over the labelled NAB dev set, in-process (seconds, not minutes).
 *
 *   npm run build && node scripts/verdict-sweep.js [--grid defaults|margins|aggregate|custom] [--days]
 *     [--data DIR] [--only SUBSTR] [--dist DIR]   (--days lists every missed and every false day)
 *
 * It loads every series once, runs the verdict engine (dist/classify) at every report time the way
 * `scrumops backtest --every 1d` does for the one-stack config that ../shared/eval/nab-eval.py writes
 * (UTC, report at 00:00, 24 h window, 7 daily baseline days, direction neutral, aggregation mean), and
 * scores the days with that script's rules:
 *   positive  a labelled anomaly starts inside the day's window          -> should be `bad`
 *   negative  the window touches no labelled span                         -> should not be `bad`
 *   ignored   the window touches a labelled span but holds no start
 *   a label within 6 h of the window's start or end is also found by a `bad` on the neighbouring day.
 * Days are scored from the 4th day of a series. `npm run eval` (the real CLI) confirms the final choice.
 * One line per variant: overall F1 / false-bad / unknown negative days, then F1 and false-bad per group.
 */
const fs = require('node:fs');
const path = require('node:path');

const day = 86_400_000;
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const dist = path.resolve(opt('--dist', path.join(__dirname, '../dist')));
const { classifyMetric } = require(path.join(dist, 'classify/metric'));
const { reportWindows } = require(path.join(dist, 'plan/windows'));
const { fetchRange } = require(path.join(dist, 'plan'));
const { defaultThresholds } = require(path.join(dist, 'config/load'));
const dataDir = path.resolve(opt('--data', path.join(__dirname, '../../shared/data/nab-dev')));
const only = opt('--only', '');

/** Variants to compare: a name and the thresholds it changes from the defaults. */
/** Every combination of the listed values: { a: [1, 2], b: [3] } → [{ a: 1, b: 3 }, { a: 2, b: 3 }]. */
function combos(space) {
  return Object.entries(space).reduce(
    (acc, [key, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))),
    [{}],
  );
}
const named = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');

const grids = {
  defaults: [{ name: 'defaults', over: {} }],
  /** The table in docs/verdicts.md: the two margins, then the aggregate rule's score and change. */
  margins: combos({ spikeMargin: [0.25, 0.5, 0.75, 1, Infinity], episodeMargin: [0, 0.5, 1] }),
  aggregate: combos({ score: [3, 4, 5], minChange: [0.1, 0.2, 0.3] }),
  /** Anything: SWEEP='{"spikeMargin":[0.5,0.6]}' node scripts/verdict-sweep.js --grid custom */
  custom: combos(JSON.parse(process.env.SWEEP ?? '{}')),
};
for (const [key, grid] of Object.entries(grids))
  if (key !== 'defaults') grids[key] = grid.map((over) => ({ name: named(over), over }));

const settings = (thresholds) => ({
  title: 'sweep',
  timezone: 'UTC',
  at: '00:00',
  window: '24h',
  baseline: { mode: 'daily', days: 7, exclude: [] },
  thresholds,
});

const parseTs = (s) => Date.parse(`${s.slice(0, 10)}T${s.slice(11, 19)}Z`);

function loadSeries(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [t, v] = line.split(',');
    return [parseTs(t), Number(v)];
  });
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The eval's naive reference: daily mean outside mean ± 3 sd of the previous 7 same windows. */
function naiveBad(rows, at) {
  const meanIn = (a, b) => {
    const xs = rows.filter(([t]) => t >= a && t < b).map(([, v]) => v);
    return xs.length ? mean(xs) : null;
  };
  const cur = meanIn(at - day, at);
  const base = [];
  for (let k = 1; k <= 7; k++) {
    const b = meanIn(at - (k + 1) * day, at - k * day);
    if (b !== null) base.push(b);
  }
  if (cur === null || base.length < 3) return null;
  const m = mean(base);
  const sd = Math.sqrt(mean(base.map((b) => (b - m) ** 2)));
  return sd > 0 ? Math.abs(cur - m) > 3 * sd : cur !== m;
}

function loadDataset() {
  const meta = JSON.parse(fs.readFileSync(path.join(dataDir, 'labels.json'), 'utf8'));
  const out = [];
  for (const name of Object.keys(meta.labels).sort()) {
    if (only && !name.includes(only)) continue;
    const rows = loadSeries(path.join(dataDir, name));
    const starts = meta.labels[name].map(parseTs);
    const spans = (meta.windows[name] ?? []).map(([a, b]) => [parseTs(a), parseTs(b)]);
    const first = Math.floor(rows[0][0] / day) * day + day;
    const d1 = first + 4 * day;
    const d2 = Math.floor(rows[rows.length - 1][0] / day) * day;
    if (d2 < d1) continue;
    const ats = [];
    for (let at = d1; at <= d2; at += day) ats.push(at);
    const naive = new Map(ats.map((at) => [at, Boolean(naiveBad(rows, at))]));
    out.push({ name, group: name.split('/')[0], rows, starts, spans, ats, naive });
  }
  return out;
}

function spec(thresholds) {
  return {
    id: 'value',
    label: 'value',
    source: 'nab',
    query: 'q',
    template: 'q',
    vars: {},
    unit: '',
    direction: 'neutral',
    aggregation: 'mean',
    critical: true,
    weight: 1,
    thresholds,
  };
}

function score(pairs) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const [truth, pred] of pairs) {
    if (truth && pred) tp++;
    else if (truth) fn++;
    else if (pred) fp++;
    else tn++;
  }
  const p = tp + fp ? tp / (tp + fp) : 0;
  const r = tp + fn ? tp / (tp + fn) : 0;
  return { tp, fp, fn, tn, f1: p + r ? (2 * p * r) / (p + r) : 0, fpr: fp + tn ? fp / (fp + tn) : 0 };
}

/** Verdicts for every report time of a series, as `backtest` computes them from one fetch. */
function verdictsOf(series, thresholds) {
  const s = settings(thresholds);
  const windows = series.ats.map((at) => reportWindows(at, s));
  const range = fetchRange(windows);
  const points = series.rows.filter(([t]) => t >= range.start && t < range.end);
  const m = spec(thresholds);
  const verdicts = new Map();
  series.ats.forEach((at, i) => {
    const j = classifyMetric({ spec: m, points, windows: windows[i] });
    verdicts.set(at, j);
  });
  return verdicts;
}

function evaluate(dataset, thresholds, details) {
  const ours = [];
  const naive = [];
  const groups = {};
  let unknownNeg = 0;
  let unknownPos = 0;
  const edge = 6 * 3_600_000;
  for (const series of dataset) {
    const judged = verdictsOf(series, thresholds);
    const verdict = (at) => judged.get(at)?.verdict;
    for (const at of series.ats) {
      const start = at - day;
      const inside = series.starts.filter((s) => s >= start && s < at);
      const truth = inside.length > 0;
      const touches = series.spans.some(([x, y]) => x < at && y > start);
      if (!truth && touches) continue;
      const near = new Set();
      for (const s of inside) {
        if (s >= at - edge) near.add(at + day);
        if (s < start + edge) near.add(at - day);
      }
      const v = verdict(at);
      const found = v === 'bad' || [...near].some((n) => verdict(n) === 'bad');
      const nfound = series.naive.get(at) || [...near].some((n) => series.naive.get(n));
      if (v === 'unknown') truth ? unknownPos++ : unknownNeg++;
      const pair = [truth, truth ? found : v === 'bad'];
      ours.push(pair);
      naive.push([truth, truth ? nfound : series.naive.get(at)]);
      (groups[series.group] ??= []).push(pair);
      if (details && pair[0] !== pair[1]) {
        const j = judged.get(at);
        details.push(
          `${truth ? 'MISS' : 'FALSE'} ${series.name} ${new Date(at).toISOString().slice(0, 10)} ${v}/${j.rule} score ${j.score} change ${j.change === null ? '—' : j.change.toFixed(2)}`,
        );
      }
    }
  }
  return { all: score(ours), naive: score(naive), groups, unknownNeg, unknownPos };
}

const short = { realAWSCloudwatch: 'AWS', realTraffic: 'traffic', realTweets: 'tweets' };

function line(name, r) {
  const per = Object.entries(r.groups)
    .map(([g, pairs]) => {
      const s = score(pairs);
      return `${short[g] ?? g} ${s.f1.toFixed(3)}/${s.fpr.toFixed(3)}`;
    })
    .join('  ');
  const a = r.all;
  return `${name.padEnd(34)} F1 ${a.f1.toFixed(3)} false-bad ${a.fpr.toFixed(3)} (tp ${a.tp} fp ${a.fp} fn ${a.fn}) unknown neg ${r.unknownNeg} | ${per}`;
}

function main() {
  const t0 = Date.now();
  const dataset = loadDataset();
  const grid = grids[opt('--grid', 'defaults')];
  if (!grid) throw new Error(`unknown --grid; one of ${Object.keys(grids).join(', ')}`);
  let naive;
  for (const variant of grid) {
    const details = args.includes('--days') ? [] : undefined;
    const r = evaluate(dataset, { ...defaultThresholds, ...variant.over }, details);
    naive = r.naive;
    console.log(line(variant.name, r));
    if (details) for (const d of details) console.log(`  ${d}`);
  }
  console.log(`naive reference F1 ${naive.f1.toFixed(3)} false-bad ${naive.fpr.toFixed(3)}`);
  console.log(`(${dataset.length} series, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

main();
