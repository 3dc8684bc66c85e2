/**
 * End to end through the pipeline: one generated fleet written as JSON files for the `file` source
 * and indexed as events in a fake Splunk, then read through `type: splunk`; PagerDuty beside it for
 * on-call and incidents. The verdicts must not depend on the road the data took, and a PagerDuty
 * failure must cost only the on-call line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { renderMarkdown } from '../../../src/render/markdown';
import { renderText } from '../../../src/render/text';
import type { Report } from '../../../src/report/types';
import type { Point } from '../../../src/sources/types';
import { e2eConfigText } from '../../support/e2e-config';
import { startFakePagerduty, type FakePagerduty } from '../pagerduty/fake-pagerduty';
import { startFakeSplunk, type FakeSplunk } from './fake-splunk';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
/** 2026-11-18 09:00 Europe/Berlin (CET). */
const reportTime = Date.UTC(2026, 10, 18, 8);
const stepMs = 10 * minute;
const splunkToken = 'splunk-e2e-token-1';
const pdToken = 'pd-e2e-token-2';

const stacks = ['checkout', 'payments', 'search', 'auth'] as const;
const metricIds = ['latency', 'errors', 'cpu'] as const;
type Stack = (typeof stacks)[number];
type MetricId = (typeof metricIds)[number];

function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/** Nine days with a daily cycle; checkout's latency up 60% today, payments' errors down to a third, auth's CPU absent. */
function recorded(stack: Stack, metric: MetricId): Point[] {
  const k = stacks.indexOf(stack);
  const m = metricIds.indexOf(metric);
  const base = { latency: 0.2 + 0.02 * k, errors: 0.5 + 0.1 * k, cpu: 40 + 3 * k }[metric];
  const points: Point[] = [];
  for (let t = reportTime - 9 * day; t < reportTime; t += stepMs) {
    const current = t >= reportTime - day;
    if (current && stack === 'auth' && metric === 'cpu' && t < reportTime - 3 * hour) continue;
    let v =
      base * (1 + 0.2 * Math.sin((2 * Math.PI * t) / day) + 0.03 * noise(t / stepMs + 1000 * k + 100 * m));
    if (current && stack === 'checkout' && metric === 'latency') v *= 1.6;
    if (current && stack === 'payments' && metric === 'errors') v /= 3;
    points.push([t, v]);
  }
  return points;
}

const deployments = (stack: Stack): number[] => {
  const k = stacks.indexOf(stack);
  return Array.from({ length: 3 + k }, (_, i) => reportTime - (i * 3 + 0.5) * day);
};

const metricDefs = {
  latency: { unit: 's', direction: 'lower', aggregation: 'mean', critical: true },
  errors: { unit: '%', direction: 'lower', aggregation: 'mean', slo: { max: 2 }, critical: true },
  cpu: { unit: '%', direction: 'lower', aggregation: 'p95', slo: { max: 90 } },
};

let dir: string;
let splunk: FakeSplunk;
let pd: FakePagerduty;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-splunk-e2e-'));
  splunk = await startFakeSplunk({ token: splunkToken });
  pd = await startFakePagerduty({ token: pdToken });
  for (const stack of stacks) {
    mkdirSync(join(dir, stack));
    for (const metric of metricIds) {
      const points = recorded(stack, metric);
      writeFileSync(join(dir, stack, `${metric}.json`), JSON.stringify(points));
      for (const [time, value] of points) {
        splunk.events.push({
          index: 'metrics',
          time,
          fields: { metric, service: stack, value: String(value) },
        });
      }
    }
    const lines = deployments(stack).map((at, i) => `${new Date(at).toISOString()},${stack} v1.${i}`);
    writeFileSync(join(dir, stack, 'deployments.csv'), ['timestamp,title', ...lines].join('\n'));
    deployments(stack).forEach((at, i) =>
      splunk.events.push({
        index: 'deploys',
        time: at,
        fields: { service: stack, title: `${stack} v1.${i}` },
      }),
    );
  }
  pd.oncalls = [
    {
      user: { id: 'PU1', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000' },
      schedule: { id: 'PSCHED1', name: 'Shop primary' },
      escalationPolicy: { id: 'PEP1', name: 'Shop' },
      level: 1,
      start: reportTime - 12 * hour,
      end: reportTime + 12 * hour,
    },
  ];
  pd.incidents = [
    {
      id: 'PINC1',
      number: 4711,
      title: 'Checkout p95 above 1 s',
      service: 'PSVCCHK',
      status: 'resolved',
      urgency: 'high',
      createdAt: reportTime - 7 * hour,
      resolvedAt: reportTime - 6 * hour,
    },
  ];
});

afterAll(async () => {
  await splunk?.close();
  await pd?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = { SPLUNK_TOKEN: splunkToken, PD_TOKEN: pdToken };

async function run(text: string) {
  const config = parseConfig(text, join(dir, 'scrumops.json'), env);
  return generateReports(
    config,
    { times: [reportTime], generatedAt: reportTime },
    {
      logger: process.env.E2E_LOG
        ? { ...silentLogger, info: (m: string) => console.log(m), debug: (m: string) => console.log(m) }
        : silentLogger,
      now: () => Date.now(),
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    },
  );
}

function verdicts(r: Report) {
  return r.stacks.map((s) => ({
    stack: s.id,
    verdict: s.verdict,
    metrics: s.metrics.map((m) => ({
      id: m.id,
      verdict: m.verdict,
      rule: m.rule,
      current: m.current,
      baseline: m.baseline,
      coverage: m.coverage,
    })),
  }));
}

const fileQuery = (m: MetricId) => `{{service}}/${m}.json`;
const splunkQuery = (m: MetricId) =>
  `search index=metrics metric=${m} service={{service}} | timechart span=10m avg(value)`;
const splunkSource = { type: 'splunk', url: '', token: '${SPLUNK_TOKEN}' };

/** The Splunk config, with a pagerduty source and each stack's service and team added. */
function withPagerduty(text: string, pdUrl: string): string {
  const config = JSON.parse(text) as {
    sources: object[];
    stacks: { id: string; team?: string; events?: Record<string, object> }[];
  };
  config.sources.push({
    id: 'pd',
    type: 'pagerduty',
    url: pdUrl,
    token: '${PD_TOKEN}',
    teams: { shop: { schedule: 'PSCHED1' } },
  });
  for (const s of config.stacks) {
    s.team = 'shop';
    if (s.id === 'checkout') s.events = { ...s.events, incidents: { source: 'pd', service: 'PSVCCHK' } };
  }
  return JSON.stringify(config);
}

describe('the Splunk source gives the verdicts the files give', () => {
  let viaFiles: Report;
  beforeAll(async () => {
    const { reports } = await run(
      e2eConfigText(
        { stacks, metrics: metricDefs },
        { type: 'file', dir, timezone: 'UTC' },
        fileQuery,
        (s) => `${s}/deployments.csv`,
      ),
    );
    viaFiles = reports[0]!;
  });

  it('has a fleet worth comparing: bad, good, normal and unknown all occur', () => {
    const all = new Set(viaFiles.stacks.flatMap((s) => [s.verdict, ...s.metrics.map((m) => m.verdict)]));

    expect([...all].sort()).toEqual(['bad', 'good', 'normal', 'unknown']);
  });

  it('same verdicts and deployment counts, in one search per template and one for the deployments', async () => {
    splunk.requests.length = 0;
    const { reports } = await run(
      e2eConfigText(
        { stacks, metrics: metricDefs },
        { ...splunkSource, url: splunk.url },
        splunkQuery,
        () => 'search index=deploys service={{service}} | table _time title',
      ),
    );
    const viaSplunk = reports[0]!;

    expect(verdicts(viaSplunk)).toEqual(verdicts(viaFiles));
    expect(viaSplunk.stacks.map((s) => s.events.deployments)).toEqual(
      viaFiles.stacks.map((s) => s.events.deployments),
    );
    expect(viaSplunk.sources).toEqual([
      { id: 'data', type: 'splunk', status: 'ok', requests: 4, retries: 0, errors: [] },
    ]);
  });
});

describe('PagerDuty beside the verdicts', () => {
  const config = () =>
    withPagerduty(
      e2eConfigText({ stacks, metrics: metricDefs }, { ...splunkSource, url: splunk.url }, splunkQuery),
      pd.url,
    );

  it('shows who is on call and the overnight incident beside the verdicts', async () => {
    const { reports, allSourcesFailed } = await run(config());
    const report = reports[0]!;

    expect(allSourcesFailed).toBe(false);
    expect(report.onCall).toEqual([
      { team: 'shop', source: 'pd', status: 'ok', names: ['Ada Lovelace'], of: 'Shop primary' },
    ]);
    expect(report.stacks.find((s) => s.id === 'checkout')!.events.incidents).toEqual({
      status: 'ok',
      window: 1,
      last14d: 1,
      items: [
        {
          at: new Date(reportTime - 7 * hour).toISOString(),
          title: '#4711 Checkout p95 above 1 s',
          url: 'https://acme.pagerduty.com/incidents/PINC1',
          urgency: 'high',
          resolvedAt: new Date(reportTime - 6 * hour).toISOString(),
        },
      ],
    });
    const text = renderText(report);
    expect(text).toContain('On call, shop: Ada Lovelace (Shop primary)');
    expect(text).toContain('1 incident (14 d: 1)');
    expect(text).toContain('#4711 Checkout p95 above 1 s (high urgency, resolved Wed 03:00)');
    expect(renderMarkdown(report)).toContain('📟 on call, shop: Ada Lovelace (Shop primary)');
    expect(JSON.stringify(report)).not.toMatch(/example\.com|\+44/);
  });

  it('a wrong PagerDuty token costs only the on-call line and the incidents', async () => {
    const { reports, allSourcesFailed } = await run(config().replace('${PD_TOKEN}', 'not-the-pd-token'));
    const report = reports[0]!;

    expect(allSourcesFailed).toBe(false);
    expect(report.onCall).toEqual([
      {
        team: 'shop',
        source: 'pd',
        status: 'unknown',
        names: [],
        of: 'PSCHED1',
        reason: expect.stringMatching(/^source "pd": not authenticated \(HTTP 401: Unauthorized\)/) as string,
      },
    ]);
    expect(report.summary.unknown).toBeLessThan(report.stacks.length);
    expect(renderText(report)).toMatch(/On call, shop: unknown \(source "pd": not authenticated/);
  });
});
