#!/usr/bin/env node
/**
 * Generates the demo data under config/demo/: 7 stacks of a plausible web shop, 4 metrics each, at
 * 10-minute steps over 21 days (the 14-day calendar, each day with its 7 baseline days), with a daily
 * and weekly rhythm and noise. Seeded, so every run writes the same files. The demo config reads them
 * with `align: now`, so the last day is always "yesterday".
 *
 * What the last 24 hours show (the report at 09:00 Europe/Berlin), and the fortnight before:
 *   checkout       bad, new           p95 latency regressed from 14:30 on, 10 minutes after the 14:20 deploy
 *                                     checkout-api v2.41.0 (a slow cart pricing query)
 *   payments       bad for 3 days     error rate above its 2% objective since the 14:45 deploy of payments
 *                                     v5.0.9 two days ago
 *   search         good               error rate fell to a third from 10:05, after a fix deployed at 09:53
 *   notifications  unknown            its consumer stopped reporting latency and errors at 11:20
 *   catalog        normal, recovered  a two-hour latency episode yesterday afternoon, none today
 *   auth           normal, flapping   latency episodes 6, 4 and 2 days ago, each at another time of day
 *   inventory      normal             a 10-minute blip within what the week has seen, that must not
 *                                     alarm (a spike far beyond every baseline reading would)
 *
 * Run: node config/demo/generate.js
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const stepMs = 10 * 60 * 1000;
const days = 21;
// Canonical end: 09:00 in Berlin (CET) on a Thursday. `align: now` moves it to the report time.
const end = Date.parse('2026-01-15T08:00:00Z');
const start = end - days * 24 * 3600 * 1000;
const lastDayStart = end - 24 * 3600 * 1000;

/** mulberry32: a tiny seeded PRNG, so the data is the same on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(20261126);
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Local (CET) hour of day, fractional. */
const localHour = (t) => (((t / 3600000 + 1) % 24) + 24) % 24;
/** Traffic shape: low at night, peak mid-afternoon, lighter at weekends. */
function load(t) {
  const h = localHour(t);
  const daily = 0.35 + 0.65 * Math.exp(-((h - 14.5) ** 2) / (2 * 4.2 ** 2));
  const weekday = new Date(t + 3600000).getUTCDay();
  return daily * (weekday === 0 || weekday === 6 ? 0.7 : 1);
}
const localTime = (hh, mm) => lastDayStart + ((hh - 9 + 24) % 24) * 3600000 + mm * 60000;
const dayMs = 24 * 3600000;
/** Inside [from, to) local time on the report day `daysAgo` days back (0: the last 24 hours). */
const during = (t, daysAgo, from, to) => t >= from - daysAgo * dayMs && t < to - daysAgo * dayMs;

const stacks = {
  checkout: { base: { latency: 0.28, errors: 0.4, rps: 220, cpu: 45 } },
  payments: { base: { latency: 0.35, errors: 0.25, rps: 90, cpu: 38 } },
  search: { base: { latency: 0.12, errors: 1.2, rps: 640, cpu: 58 } },
  notifications: { base: { latency: 0.8, errors: 0.6, rps: 35, cpu: 22 } },
  catalog: { base: { latency: 0.09, errors: 0.15, rps: 900, cpu: 51 } },
  auth: { base: { latency: 0.05, errors: 0.3, rps: 410, cpu: 33 } },
  inventory: { base: { latency: 0.16, errors: 0.2, rps: 150, cpu: 41 } },
};

const fmt = (t) => new Date(t).toISOString().replace('.000Z', 'Z');
const num = (v) => (v === null ? '' : Number(v.toPrecision(5)).toString());

function write(stack, metric, rows) {
  const dir = join(__dirname, stack);
  mkdirSync(dir, { recursive: true });
  const body = rows.map(([t, v]) => `${fmt(t)},${num(v)}`).join('\n');
  writeFileSync(join(dir, `${metric}.csv`), `timestamp,value\n${body}\n`);
}

for (const [id, { base }] of Object.entries(stacks)) {
  const rows = { latency_p95: [], error_rate: [], throughput: [], cpu: [] };
  for (let t = start; t < end; t += stepMs) {
    const l = load(t);
    let latency = base.latency * (0.85 + 0.3 * l) * (1 + 0.06 * gauss());
    let errors = Math.max(0, base.errors * (0.9 + 0.2 * l) * (1 + 0.15 * gauss()));
    const rps = Math.max(0, base.rps * l * (1 + 0.05 * gauss()));
    const cpu = Math.min(100, base.cpu * (0.6 + 0.6 * l) * (1 + 0.05 * gauss()));

    if (id === 'checkout' && t >= localTime(14, 30)) latency *= 1.55;
    // Since the 5.0.9 deploy two days ago, ledger batch writes time out: the error rate sits above its 2%
    // objective (a level the baseline soon absorbs, but the objective does not).
    if (id === 'payments' && t >= localTime(14, 55) - 2 * dayMs)
      errors = 3 * (0.9 + 0.2 * l) * (1 + 0.15 * gauss());
    if (id === 'search' && t >= localTime(10, 5)) errors *= 0.33;
    if (id === 'catalog' && during(t, 1, localTime(13, 0), localTime(15, 0))) latency *= 2.2;
    // Flapping: a latency episode every other day, each at another time of day (a cron job that moves).
    if (
      id === 'auth' &&
      [
        [6, 12],
        [4, 16],
        [2, 20],
      ].some(([d, h]) => during(t, d, localTime(h, 0), localTime(h + 2, 0)))
    )
      latency *= 2.4;
    if (id === 'inventory' && t >= localTime(11, 40) && t < localTime(11, 50)) latency *= 1.3;
    const stopped = id === 'notifications' && t >= localTime(11, 20);

    rows.latency_p95.push([t, stopped ? null : latency]);
    rows.error_rate.push([t, stopped ? null : errors]);
    rows.throughput.push([t, rps]);
    rows.cpu.push([t, cpu]);
  }
  for (const [metric, series] of Object.entries(rows)) {
    // A stopped exporter writes nothing at all, not empty values.
    write(
      id,
      metric,
      series.filter(([, v]) => v !== null),
    );
  }
}

// Deployments, one file per stack that has them: timestamp,title.
const deploys = {
  checkout: [
    [localTime(14, 20), 'checkout-api v2.41.0: new cart pricing query'],
    [localTime(11, 5), 'checkout-api v2.40.3'],
    [end - 3 * 86400000, 'checkout-api v2.40.2'],
    [end - 5 * 86400000 + 3 * 3600000, 'checkout-api v2.40.1'],
    [end - 8 * 86400000, 'checkout-api v2.40.0'],
    [end - 12 * 86400000, 'checkout-api v2.39.2'],
  ],
  search: [
    [localTime(9, 53), 'search-api v7.3.1: fix retry storm on index timeouts'],
    [end - 6 * 86400000, 'search-api v7.3.0'],
    [end - 11 * 86400000, 'search-api v7.2.4'],
  ],
  payments: [
    [localTime(14, 45) - 2 * 86400000, 'payments v5.0.9: ledger batch writes'],
    [end - 9 * 86400000, 'payments v5.0.8'],
  ],
};
for (const [id, items] of Object.entries(deploys)) {
  const body = items
    .sort((a, b) => a[0] - b[0])
    .map(([t, title]) => `${fmt(t)},${title}`)
    .join('\n');
  writeFileSync(join(__dirname, id, 'deployments.csv'), `timestamp,title\n${body}\n`);
}
console.log(
  `wrote ${Object.keys(stacks).length} stacks × 4 metrics, ${days} days at 10-minute steps, ending ${fmt(end)}`,
);
