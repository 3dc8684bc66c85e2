/**
 * The Prometheus source against a real Prometheus holding 9 days of backfilled history.
 */
import { silentLogger } from '../../../src/logger';
import { createPrometheusSource } from '../../../src/sources/prometheus';
import { maxPointsPerSeries } from '../../../src/sources/prometheus/step';
import type { QueryGroup, QueryMember, SourceContext, SourcePlan } from '../../../src/sources/types';
import {
  startPrometheus,
  timesBetween,
  type HistorySeries,
  type RunningPrometheus,
} from '../../support/prometheus';

const minute = 60_000;
const day = 24 * 60 * minute;
const dataStart = Date.UTC(2026, 10, 10); // 2026-11-10T00:00Z
const dataEnd = dataStart + 9 * day; // exclusive; the last sample is 2 minutes before
const sampleStep = 2 * minute;
/** 8 days ending inside the data: Prometheus answers nothing more than 5 minutes past the last sample. */
const planStart = dataStart + 9 * 60 * minute;
const planEnd = planStart + 8 * day;

const services = { checkout: 0.2, search: 0.5, 'api.v2': 1.5, 'api-v2': 9 } as const;
const nanAt = planStart + 100 * sampleStep;

function latency(service: keyof typeof services, at: number): number {
  return services[service] + ((at / sampleStep) % 7) / 100;
}

const history: HistorySeries[] = Object.keys(services).map((service) => ({
  metric: 'http_latency_seconds',
  labels: { env: 'prod', service },
  points: timesBetween(dataStart, dataEnd, sampleStep).map((at): [number, number] => [
    at,
    service === 'search' && at === nanAt ? NaN : latency(service as keyof typeof services, at),
  ]),
}));

let prometheus: RunningPrometheus;
beforeAll(async () => {
  prometheus = await startPrometheus(history);
});
afterAll(async () => {
  await prometheus?.stop();
});

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name]!);
}

function group(
  template: string,
  metricId: string,
  stacks: Record<string, Record<string, string>>,
): QueryGroup {
  const members: QueryMember[] = Object.entries(stacks).map(([stackId, vars]) => ({
    stackId,
    metricId,
    query: fill(template, vars),
    vars,
  }));
  return { template, members };
}

function plan(groups: QueryGroup[], range = { start: planStart, end: planEnd }): SourcePlan {
  return { ...range, groups, eventsStart: range.start, events: [] };
}

function context(waits: number[] = []): SourceContext {
  return {
    configDir: '/tmp',
    reportTime: planEnd,
    logger: silentLogger,
    now: () => planEnd,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

const source = () =>
  createPrometheusSource({ id: 'prom', type: 'prometheus', url: prometheus.url }, context());
const signal = () => new AbortController().signal;
const latencyTemplate = 'avg(http_latency_seconds{env="prod",service="{{service}}"})';

describe('prometheus source on a real Prometheus', () => {
  it('serves every stack of a template with one grouped request and maps the answer back by label', async () => {
    const g = group(latencyTemplate, 'latency', {
      checkout: { service: 'checkout' },
      search: { service: 'search' },
      'api-dot': { service: 'api.v2' },
      ghost: { service: 'ghost' },
    });

    const result = await source().fetch(plan([g]), signal());

    expect(result.health).toEqual({
      id: 'prom',
      type: 'prometheus',
      status: 'ok',
      requests: 1,
      retries: 0,
      errors: [],
    });
    expect(result.failures).toEqual([]);
    const byStack = new Map(result.series.map((s) => [s.stackId, s]));
    const expectedTimes = timesBetween(planStart, planEnd, sampleStep);
    const checkout = byStack.get('checkout')!;
    expect(checkout.stepMs).toBe(sampleStep);
    expect(checkout.points).toEqual(expectedTimes.map((at) => [at, latency('checkout', at)]));
    // "api.v2" must not match "api-v2": the regex is escaped.
    expect(byStack.get('api-dot')!.points[0]).toEqual([planStart, latency('api.v2', planStart)]);
    expect(byStack.get('search')!.points.find(([at]) => at === nanAt)).toEqual([nanAt, null]);
    expect(byStack.get('search')!.points.filter(([, v]) => v === null)).toHaveLength(1);
    // A stack with no data gets an empty series (unknown by coverage), not a failure.
    expect(byStack.get('ghost')).toEqual({
      stackId: 'ghost',
      metricId: 'latency',
      points: [],
      stepMs: sampleStep,
    });
  });

  it('costs one request per template for a 50-stack fleet with 3 templates over 8 days', async () => {
    const known = Object.keys(services);
    const stacks = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`stack-${i}`, { service: known[i] ?? `service-${i}` }]),
    );
    const groups = [
      group(latencyTemplate, 'latency_avg', stacks),
      group('max(http_latency_seconds{service="{{service}}"}) by (env)', 'latency_max', stacks),
      group('quantile(0.5, http_latency_seconds{service="{{service}}"})', 'latency_p50', stacks),
    ];

    const result = await source().fetch(plan(groups), signal());

    expect(result.health).toMatchObject({ status: 'ok', requests: 3, retries: 0 });
    expect(result.series).toHaveLength(150);
    const withData = result.series
      .filter((s) => s.points.length > 0)
      .map((s) => `${s.stackId}/${s.metricId}`);
    expect(withData.sort()).toEqual(
      ['stack-0', 'stack-1', 'stack-2', 'stack-3'].flatMap((id) => [
        `${id}/latency_avg`,
        `${id}/latency_max`,
        `${id}/latency_p50`,
      ]),
    );
  });

  it('asks once per distinct query when stacks differ in more than one var, and still gets the right values', async () => {
    const template = 'avg(http_latency_seconds{env="{{env}}",service="{{service}}"})';
    const g = group(template, 'latency', {
      checkout: { env: 'prod', service: 'checkout' },
      staging: { env: 'staging', service: 'search' },
      twin: { env: 'prod', service: 'checkout' },
    });

    const result = await source().fetch(plan([g]), signal());

    expect(result.health.requests).toBe(2);
    const byStack = new Map(result.series.map((s) => [s.stackId, s]));
    expect(byStack.get('checkout')!.points[5]).toEqual([
      planStart + 5 * sampleStep,
      latency('checkout', planStart + 5 * sampleStep),
    ]);
    expect(byStack.get('twin')!.points).toEqual(byStack.get('checkout')!.points);
    expect(byStack.get('staging')!.points).toEqual([]);
  });

  it.each([
    { range: '1 day', length: day, step: 60_000 },
    { range: '8 days', length: 8 * day, step: 120_000 },
    { range: '30 days', length: 30 * day, step: 300_000 },
    { range: '400 days', length: 400 * day, step: 3_600_000 },
  ])(
    'keeps a $range range under 11,000 points a series (step $step ms) and Prometheus accepts it',
    async ({ length, step }) => {
      const range = { start: dataEnd - 2 * minute - length, end: dataEnd - 2 * minute };
      const g = group(latencyTemplate, 'latency', {
        checkout: { service: 'checkout' },
        search: { service: 'search' },
      });

      const result = await source().fetch(plan([g], range), signal());

      expect(result.failures).toEqual([]);
      const checkout = result.series.find((s) => s.stackId === 'checkout')!;
      expect(checkout.stepMs).toBe(step);
      expect(Math.ceil(length / step)).toBeLessThanOrEqual(maxPointsPerSeries);
      expect(checkout.points.length).toBeGreaterThan(0);
      expect(checkout.points.every(([at]) => at % step === 0 && at >= range.start && at < range.end)).toBe(
        true,
      );
    },
  );

  it('fails only the metrics of a template Prometheus rejects, with one extra request to tell who is wrong', async () => {
    const broken = group('avg(http_latency_seconds{service="{{service}}"}[5m])', 'broken', {
      checkout: { service: 'checkout' },
      search: { service: 'search' },
      cart: { service: 'cart' },
    });
    const fine = group(latencyTemplate, 'latency', { checkout: { service: 'checkout' } });

    const result = await source().fetch(plan([broken, fine]), signal());

    expect(result.failures.map((f) => `${f.stackId}/${f.metricId}`).sort()).toEqual([
      'cart/broken',
      'checkout/broken',
      'search/broken',
    ]);
    expect(result.failures[0]!.error).toMatch(
      /^source "prom": query rejected \(HTTP 400 bad_data: .*expected type instant vector/,
    );
    expect(result.series.map((s) => `${s.stackId}/${s.metricId}`)).toEqual(['checkout/latency']);
    expect(result.health.status).toBe('partial');
    expect(result.health.requests).toBe(3); // grouped + one stack's own query + the fine template
  });

  it('reports a query that returns several series as that metric failing', async () => {
    const g = group('http_latency_seconds{env="{{env}}"}', 'latency', { checkout: { env: 'prod' } });

    const result = await source().fetch(plan([g]), signal());

    expect(result.series).toEqual([]);
    expect(result.failures).toEqual([
      {
        stackId: 'checkout',
        metricId: 'latency',
        error: expect.stringMatching(/returned 4 series where one is needed; aggregate it/) as unknown,
      },
    ]);
    expect(result.health.status).toBe('failed');
  });

  it('returns no events and says so in health when events were asked of it', async () => {
    const p: SourcePlan = {
      ...plan([group(latencyTemplate, 'latency', { checkout: { service: 'checkout' } })]),
      events: [{ stackId: 'checkout', kind: 'deployments', query: 'deploy' }],
    };

    const result = await source().fetch(p, signal());

    expect(result.events).toEqual([]);
    expect(result.series).toHaveLength(1);
    expect(result.health.status).toBe('partial');
    expect(result.health.errors).toEqual([
      expect.stringMatching(/Prometheus has no events, so deployments for checkout/),
    ]);
  });
});
