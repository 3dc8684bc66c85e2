/**
 * End to end through the pipeline: one generated fleet written as JSON files for the `file` source
 * and backfilled into a real Prometheus, then read through `type: prometheus` and through
 * `type: grafana` (a fake Grafana in front of that Prometheus). The verdicts must not depend on
 * the road the data took.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import type { Report } from '../../../src/report/types';
import type { Point } from '../../../src/sources/types';
import { startPrometheus, type HistorySeries, type RunningPrometheus } from '../../support/prometheus';
import { startFakeGrafana, type FakeGrafana } from '../grafana/fake-grafana';
import { e2eConfigText } from '../../support/e2e-config';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
/** 2026-11-18 09:00 Europe/Berlin (CET). */
const reportTime = Date.UTC(2026, 10, 18, 8);
/** The step both adapters choose for 8 days (today + 7 baseline days); the data is recorded at it. */
const stepMs = 2 * minute;
const token = 'glsa_e2e_token_value';

const stacks = ['checkout', 'payments', 'search', 'auth', 'catalog'] as const;
const metricIds = ['latency', 'errors', 'cpu'] as const;
type Stack = (typeof stacks)[number];
type MetricId = (typeof metricIds)[number];

function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/**
 * Nine days before the report time with a daily cycle and noise. In the current window: checkout's
 * latency 60% up, payments' errors down to a third, a 2-hour latency episode in search, and auth's
 * CPU absent until 3 hours before the report.
 */
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
    if (stack === 'search' && metric === 'latency' && t >= reportTime - 6 * hour && t < reportTime - 4 * hour)
      v *= 3;
    points.push([t, v]);
  }
  return points;
}

/** Deployments every (k+1) days, one 20 days back (outside the 14-day look-back). */
function deployments(stack: Stack): number[] {
  const k = stacks.indexOf(stack);
  return [
    reportTime - 20 * day,
    ...Array.from({ length: Math.floor(14 / (k + 1)) }, (_, i) => reportTime - (i * (k + 1) + 0.5) * day),
  ];
}

const metricDefs = {
  latency: { unit: 's', direction: 'lower', aggregation: 'mean', critical: true },
  errors: { unit: '%', direction: 'lower', aggregation: 'mean', slo: { max: 2 }, critical: true },
  cpu: { unit: '%', direction: 'lower', aggregation: 'p95', slo: { max: 90 } },
};

function configText(
  source: object,
  query: (metric: MetricId) => string,
  events?: (stack: Stack) => string,
): string {
  return e2eConfigText({ stacks, metrics: metricDefs }, source, query, events);
}

let dir: string;
let prometheus: RunningPrometheus;
let grafana: FakeGrafana;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-prom-e2e-'));
  const history: HistorySeries[] = [];
  for (const stack of stacks) {
    mkdirSync(join(dir, stack));
    for (const metric of metricIds) {
      const points = recorded(stack, metric);
      writeFileSync(join(dir, stack, `${metric}.json`), JSON.stringify(points));
      history.push({
        metric: `scrumops_${metric}`,
        labels: { service: stack },
        points: points as [number, number][],
      });
    }
    const lines = deployments(stack).map((at, i) => `${new Date(at).toISOString()},${stack} v1.${i}`);
    writeFileSync(join(dir, stack, 'deployments.csv'), ['timestamp,title', ...lines].join('\n'));
  }
  prometheus = await startPrometheus(history);
  grafana = await startFakeGrafana({ token, datasourceUid: 'prom-main', prometheusUrl: prometheus.url });
  for (const stack of stacks) {
    deployments(stack).forEach((at, i) =>
      grafana.annotations.push({
        id: grafana.annotations.length + 1,
        time: at,
        tags: ['deploy', `service:${stack}`],
        text: `${stack} v1.${i}`,
      }),
    );
  }
});

afterAll(async () => {
  await grafana?.close();
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function report(text: string): Promise<Report> {
  const config = parseConfig(text, join(dir, 'scrumops.json'), { GRAFANA_TOKEN: token });
  const { reports } = await generateReports(
    config,
    { times: [reportTime], generatedAt: reportTime },
    { logger: silentLogger, now: () => reportTime, sleep: () => Promise.resolve(), random: () => 0.5 },
  );
  return reports[0]!;
}

const fileQuery = (m: MetricId) => `{{service}}/${m}.json`;
const promQuery = (m: MetricId) => `avg(scrumops_${m}{service="{{service}}"})`;

/**
 * What must not depend on the source: every verdict, and the numbers behind it. Except the current
 * value of a metric with a gap: Prometheus' 5-minute look-back carries the last sample into the first
 * minutes of a gap, so a few more points count there (its verdict must still agree).
 */
function verdicts(r: Report) {
  return r.stacks.map((s) => ({
    stack: s.id,
    verdict: s.verdict,
    metrics: s.metrics.map((m) => ({
      id: m.id,
      verdict: m.verdict,
      rule: m.rule,
      current: m.rule === 'coverage' ? 'gap' : m.current,
      baseline: m.baseline,
      episodes: m.episodes.length,
    })),
  }));
}

describe('verdicts do not depend on the road the data took', () => {
  let viaFiles: Report;
  beforeAll(async () => {
    viaFiles = await report(
      configText({ type: 'file', dir, timezone: 'UTC' }, fileQuery, (s) => `${s}/deployments.csv`),
    );
  });

  it('has a fleet worth comparing: bad, good, normal and unknown all occur', () => {
    const all = new Set(viaFiles.stacks.flatMap((s) => [s.verdict, ...s.metrics.map((m) => m.verdict)]));

    expect([...all].sort()).toEqual(['bad', 'good', 'normal', 'unknown']);
  });

  it('gives the same verdicts through type: prometheus, in one request per template', async () => {
    const viaPrometheus = await report(configText({ type: 'prometheus', url: prometheus.url }, promQuery));

    expect(verdicts(viaPrometheus)).toEqual(verdicts(viaFiles));
    expect(viaPrometheus.sources).toEqual([
      { id: 'data', type: 'prometheus', status: 'ok', requests: 3, retries: 0, errors: [] },
    ]);
  });

  it('gives the same verdicts and deployment counts through type: grafana, in one query request', async () => {
    const viaGrafana = await report(
      configText(
        {
          type: 'grafana',
          url: grafana.url,
          token: '${GRAFANA_TOKEN}',
          datasource: { uid: 'prom-main', type: 'prometheus' },
        },
        promQuery,
        (s) => `deploy,service:${s}`,
      ),
    );

    expect(verdicts(viaGrafana)).toEqual(verdicts(viaFiles));
    expect(viaGrafana.stacks.map((s) => s.events.deployments)).toEqual(
      viaFiles.stacks.map((s) => s.events.deployments),
    );
    expect(viaGrafana.sources[0]).toMatchObject({ status: 'ok', requests: 2, errors: [] });
    // One /api/ds/query with one grouped refId per template, split back by the service label.
    const queries = grafana.requests
      .filter((r) => r.path === '/api/ds/query')
      .map((r) => (r.body as { queries: { expr: string }[] }).queries.map((q) => q.expr));
    expect(queries).toEqual([
      metricIds.map(
        (m) => `avg by (service) (scrumops_${m}{service=~"auth|catalog|checkout|payments|search"})`,
      ),
    ]);
  });
});
