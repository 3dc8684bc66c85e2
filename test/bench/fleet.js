#!/usr/bin/env node
/**
 * The fleet bench: a synthetic fleet served by the fake Datadog the tests use (a real HTTP server on
 * 127.0.0.1, 150 ms a request, rate-limit headers), reported by the real CLI in a child process —
 * `scrumops report --dry-run` with every file format, as a user runs it — one child per fleet size, so
 * each peak RSS is its own.
 *
 *   node test/bench/fleet.js [--stacks 100,500,2000] [--templates 4] [--days 8] [--latency 150]
 *                            [--step 5] [--history both|on|off] [--keep] [--profile DIR]
 *                            [--cli dist/cli/main.js] [--merge 10] [--deploys 5]
 *
 * --history: each fleet size is reported with the 14-day calendar (report.history 14, the default:
 * 13 earlier report times judged from the same fetch, a second request for their older days), without
 * it (report.history 1), or both (the default), one row each.
 *
 * --deploys N: every stack gets a deployment search (one grouped events request) and N deploys over
 * the 14 days; every 10th stack's last deploy lands 30 min before its 10-hour regression, so the
 * delivery section has deploys followed by a bad stretch to count. Default 0: no deployment source.
 *
 * --merge N: after each fleet size, N copies of its report.json (stack ids renumbered) are merged by
 * `scrumops merge`, once writing report.json only and once with every format and --dry-run.
 *
 * Prints one row per fleet size: requests (and what a naive client would make: one request per stack,
 * template and day), wall per phase as the CLI timed it, total wall and CPU time of the process, peak
 * RSS, and the sizes of report.json, of the whole-fleet email's HTML (Gmail clips past ~102 KB) and
 * .eml (with its PNG charts), and of report.html.
 */
require('./ts-require');
const { spawn } = require('node:child_process');
const {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
  statSync,
  rmSync,
  existsSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { performance } = require('node:perf_hooks');
const { simpleParser } = require('mailparser');
const { FakeDatadog, apiKey, appKey } = require('../sources/datadog/fake-datadog.ts');

const root = resolve(__dirname, '../..');
const day = 86_400_000;
/** Report time: 2026-11-26 09:00 Europe/Berlin. */
const reportTime = Date.parse('2026-11-26T08:00:00Z');

function parseArgs(argv) {
  const options = { stacks: [100, 500, 2000], templates: 4, days: 8, latency: 150, step: 5, history: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => argv[++i];
    if (arg === '--stacks') options.stacks = next().split(',').map(Number);
    else if (arg === '--templates') options.templates = Number(next());
    else if (arg === '--days') options.days = Number(next());
    else if (arg === '--latency') options.latency = Number(next());
    else if (arg === '--step') options.step = Number(next());
    else if (arg === '--history') options.history = next();
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--profile') options.profile = resolve(next());
    else if (arg === '--cli') options.cli = resolve(next());
    else if (arg === '--merge') options.merge = Number(next());
    else if (arg === '--deploys') options.deploys = Number(next());
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** Deterministic noise in [-1, 1) from any number. */
function noise(seed) {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/**
 * The fleet's readings: a daily cycle with noise; every 10th stack's first template runs 80% high over
 * the last 10 hours, every 25th stack's second template has a 2-hour spike, every 50th stack's last
 * template went quiet (no data) for the day.
 */
function valueAt(metric, group, t) {
  const s = Number(group.slice(group.lastIndexOf('-') + 1));
  const m = Number(metric.slice(metric.lastIndexOf('m') + 1));
  const phase = ((t % day) / day) * 2 * Math.PI;
  let v = (10 + m) * (1 + 0.4 * Math.sin(phase)) * (1 + 0.04 * noise(t / 60_000 + s * 7 + m * 131));
  const age = reportTime - t;
  if (s % 10 === 0 && m === 0 && age > 0 && age <= 10 * 3_600_000) v *= 1.8;
  if (s % 25 === 0 && m === 1 && age > 3 * 3_600_000 && age <= 5 * 3_600_000) v *= 4;
  if (s % 50 === 0 && m === options.templates - 1 && age > 0 && age <= day) return null;
  return v;
}

function fleetConfig(stacks, templates, days, url, history = 14) {
  const metrics = {};
  for (let m = 0; m < templates; m++) {
    metrics[`m${m}`] = {
      label: `metric ${m}`,
      source: 'dd',
      query: `avg:bench.m${m}{env:prod,service:{{service}}}`,
      unit: m === 0 ? 'ms' : '',
      direction: m === 2 ? 'neutral' : 'lower',
      critical: m < 2,
    };
  }
  const teams = Array.from({ length: 10 }, (_, i) => `team-${i}`);
  return {
    report: {
      title: `Bench fleet (${stacks} stacks)`,
      timezone: 'Europe/Berlin',
      at: '09:00',
      window: '24h',
      baseline: { mode: 'daily', days: days - 1 },
      history,
    },
    sources: [{ id: 'dd', type: 'datadog', url, apiKey: '${DD_API_KEY}', appKey: '${DD_APP_KEY}' }],
    metrics,
    stacks: Array.from({ length: stacks }, (_, s) => ({
      id: `stack-${s}`,
      name: `Stack ${s}`,
      team: teams[s % teams.length],
      vars: { service: `svc-${s}` },
      metrics: Object.keys(metrics),
      ...(options.deploys
        ? { events: { deployments: { source: 'dd', query: 'source:deploy service:{{service}}' } } }
        : {}),
    })),
    delivery: {
      files: { dir: 'out', formats: ['html', 'md', 'json', 'txt'] },
      email: {
        smtp: '${SMTP_URL}',
        from: 'Scrum-ops <ops@example.com>',
        to: ['leads@example.com'],
        teams: Object.fromEntries(teams.map((t) => [t, [`${t}@example.com`]])),
      },
      githubSummary: 'auto',
      slack: { webhook: '${SLACK_WEBHOOK_URL}' },
    },
  };
}

function run(command, args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

/** `timing: plan 12 ms · fetch 900 ms · …` from the CLI's verbose output. */
function phases(stderr) {
  const line = stderr.split('\n').find((l) => l.startsWith('timing: '));
  const out = {};
  for (const [, name, ms] of (line ?? '').matchAll(/([a-z-]+) (\d+) ms/g)) out[name] = Number(ms);
  return out;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
let options;

/** `scrumops merge` of options.merge shards, each a renumbered copy of this run's report.json. */
async function benchMerge(dir, stacks, env) {
  const report = JSON.parse(readFileSync(join(dir, 'out/report.json'), 'utf8'));
  const shards = [];
  for (let k = 0; k < options.merge; k++) {
    const shard = join(dir, `shard-${k}`);
    mkdirSync(shard, { recursive: true });
    const renumbered = {
      ...report,
      stacks: report.stacks.map((st) => ({ ...st, id: `stack-${k * stacks + Number(st.id.slice(6))}` })),
    };
    writeFileSync(join(shard, 'report.json'), JSON.stringify(renumbered, null, 2));
    shards.push(shard);
  }
  const configPath = join(dir, 'fleet-merged.json');
  const url = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')).sources[0].url;
  writeFileSync(
    configPath,
    JSON.stringify(fleetConfig(stacks * options.merge, options.templates, options.days, url)),
  );
  const times = {};
  for (const [label, extra] of [
    ['json', ['--format', 'json']],
    ['all', ['--format', 'html,md,json,txt', '--dry-run']],
  ]) {
    const probe = join(dir, `merge-probe-${label}.json`);
    const t0 = performance.now();
    const { code, stderr } = await run(
      process.execPath,
      [
        '-r',
        join(__dirname, 'probe.js'),
        options.cli ?? join(root, 'dist/cli/main.js'),
        'merge',
        '--config',
        configPath,
        '--out',
        join(dir, `merged-${label}`),
        ...extra,
        ...shards,
      ],
      { ...env, SCRUMOPS_BENCH_PROBE: probe },
    );
    if (code !== 0) throw new Error(`scrumops merge exited ${code}:\n${stderr.slice(-2000)}`);
    times[label] = {
      wall: performance.now() - t0,
      rssMb: JSON.parse(readFileSync(probe, 'utf8')).maxRssKb / 1024,
    };
  }
  return times;
}

async function benchOne(fake, stacks, history) {
  const dir = mkdtempSync(join(tmpdir(), `scrumops-fleet-${stacks}-`));
  const configPath = join(dir, 'fleet.json');
  writeFileSync(
    configPath,
    JSON.stringify(fleetConfig(stacks, options.templates, options.days, fake.url, history)),
  );
  const probe = join(dir, 'probe.json');
  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  const before = fake.metricRequests().length;
  const args = [
    ...(options.profile ? ['--cpu-prof', '--cpu-prof-dir', options.profile] : []),
    '-r',
    join(__dirname, 'probe.js'),
    options.cli ?? join(root, 'dist/cli/main.js'),
    'report',
    '--config',
    configPath,
    '--at',
    new Date(reportTime).toISOString(),
    '--out',
    join(dir, 'out'),
    '--format',
    'html,md,json,txt',
    '--dry-run',
    '--verbose',
  ];
  const env = {
    PATH: process.env.PATH,
    DD_API_KEY: apiKey,
    DD_APP_KEY: appKey,
    SMTP_URL: 'smtp://127.0.0.1:9',
    SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    GITHUB_STEP_SUMMARY: summary,
    SCRUMOPS_BENCH_PROBE: probe,
  };
  const t0 = performance.now();
  const { code, stderr } = await run(process.execPath, args, env);
  const wall = performance.now() - t0;
  if (code !== 0 || !existsSync(probe)) {
    throw new Error(`scrumops report exited ${code} for ${stacks} stacks:\n${stderr.slice(-2000)}`);
  }
  const { maxRssKb, cpuMs } = JSON.parse(readFileSync(probe, 'utf8'));
  const report = statSync(join(dir, 'out/report.json')).size;
  const eml = readFileSync(join(dir, 'out/email-all.eml'));
  const emailHtml = Buffer.byteLength((await simpleParser(eml, { keepCidLinks: true })).html || '', 'utf8');
  const html = statSync(join(dir, 'out/report.html')).size;
  const requests = fake.metricRequests().length - before;
  const merge = options.merge ? await benchMerge(dir, stacks, env) : undefined;
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
  else {
    writeFileSync(join(dir, 'stderr.txt'), stderr);
    console.error(`kept ${dir} (the CLI's stderr in stderr.txt)`);
  }
  return {
    stacks,
    requests,
    // A naive client: one request per stack, template and day fetched (the history's 13 days too).
    naive: stacks * options.templates * (options.days + history - 1),
    phases: phases(stderr),
    wall,
    merge,
    cpuMs,
    rssMb: maxRssKb / 1024,
    report,
    eml: eml.length,
    emailHtml,
    html,
  };
}

/** N deploys a stack over the fortnight; every 10th stack's last one 30 min before its regression. */
function fleetDeploys(stacks, perStack) {
  const events = [];
  for (let s = 0; s < stacks; s++) {
    for (let d = 0; d < perStack; d++) {
      const last = d === perStack - 1;
      const at =
        last && s % 10 === 0
          ? reportTime - 10.5 * 3_600_000
          : reportTime - Math.floor(((d + 0.5) / perStack) * 14 * day) - (s % 7) * 3_600_000;
      events.push({
        id: `deploy-${s}-${d}`,
        at,
        title: `svc-${s} v${d}`,
        tags: ['source:deploy', `service:svc-${s}`],
      });
    }
  }
  return events;
}

async function main() {
  options = parseArgs(process.argv.slice(2));
  const fake = new FakeDatadog();
  fake.latencyMs = options.latency;
  fake.minIntervalMs = options.step * 60_000;
  fake.values = (metric, group, t) => valueAt(metric, group, t);
  fake.events = fleetDeploys(Math.max(...options.stacks), options.deploys ?? 0);
  await fake.start();
  console.log(
    `fleet bench: ${options.templates} templates × ${options.days} days at ${options.step}-min, ` +
      `fake Datadog ${options.latency} ms a request, \`scrumops report --dry-run --format html,md,json,txt\``,
  );
  const names = ['plan', 'fetch', 'parse', 'classify', 'render', 'deliver'];
  const header = [
    'stacks',
    'history',
    'requests',
    'naive',
    ...names.map((n) => `${n} ms`),
    'total s',
    'CPU s',
    'peak RSS',
    'report.json',
    'email HTML',
    'email .eml',
    'report.html',
  ];
  console.log(header.join('\t'));
  try {
    const histories = { both: [1, 14], on: [14], off: [1] }[options.history];
    if (!histories) throw new Error(`--history ${options.history}: expected both, on or off`);
    for (const stacks of options.stacks)
      for (const history of histories) {
        const r = await benchOne(fake, stacks, history);
        console.log(
          [
            r.stacks,
            history === 1 ? 'none' : `${history} days`,
            r.requests,
            r.naive,
            ...names.map((n) => r.phases[n] ?? '-'),
            (r.wall / 1000).toFixed(2),
            (r.cpuMs / 1000).toFixed(2),
            `${r.rssMb.toFixed(0)} MB`,
            kb(r.report),
            kb(r.emailHtml),
            kb(r.eml),
            kb(r.html),
          ].join('\t'),
        );
        if (r.merge) {
          const m = (x) => `${(x.wall / 1000).toFixed(2)} s, peak RSS ${x.rssMb.toFixed(0)} MB`;
          console.log(
            `  merge of ${options.merge} shards × ${r.stacks} stacks: report.json only ${m(r.merge.json)}; ` +
              `every format + --dry-run ${m(r.merge.all)}`,
          );
        }
      }
  } finally {
    await fake.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
