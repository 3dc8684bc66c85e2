import { resolveEndpoint } from '../../../src/sources/datadog/client';
import {
  analyseTemplate,
  chooseIntervalMs,
  groupedQuery,
  packBatches,
  planEventUnits,
  planMetricUnits,
  withRollup,
  type MetricUnit,
} from '../../../src/sources/datadog/query-plan';
import { RateLimitBudget } from '../../../src/sources/datadog/rate-limit';
import type { QueryGroup } from '../../../src/sources/types';

const hour = 3600_000;
const day = 24 * hour;

function group(template: string, services: readonly string[], metricId = 'm'): QueryGroup {
  return {
    template,
    members: services.map((service, i) => ({
      stackId: `s${i}`,
      metricId,
      query: template.replace('{{service}}', service),
      vars: { service },
    })),
  };
}

describe('chooseIntervalMs', () => {
  it.each([
    [hour, 60],
    [day, 60],
    [8 * day, 600],
    [15 * day, 900],
    [29 * day, 1800],
    [60 * day, 3600],
  ])('span of %d ms → %d s', (span, seconds) => {
    expect(chooseIntervalMs(0, span)).toBe(seconds * 1000);
  });

  it('keeps every span within 1,500 points, counting the bucket Datadog aligns before start', () => {
    for (let span = hour; span <= 400 * day; span = Math.round(span * 1.37)) {
      const interval = chooseIntervalMs(7 * 60_000, 7 * 60_000 + span);
      expect(Math.ceil(span / interval) + 1).toBeLessThanOrEqual(1500);
    }
  });
});

describe('analyseTemplate / groupedQuery', () => {
  it.each([
    [
      'avg:trace.http.request.duration{env:prod,service:{{service}}}',
      'avg:trace.http.request.duration{env:prod AND service IN (a, b)} by {service}',
    ],
    ['sum:hits{service:{{ service }}}.as_count()', 'sum:hits{service IN (a, b)} by {service}.as_count()'],
    [
      'avg:cpu{*,kube_service:{{service}}}.rollup(max, 300)',
      'avg:cpu{kube_service IN (a, b)} by {kube_service}.rollup(max, 300)',
    ],
    ['p95:lat{!env:dev,service:{{service}}}', 'p95:lat{NOT env:dev AND service IN (a, b)} by {service}'],
  ])('%s → %s', (template, grouped) => {
    const t = analyseTemplate(template);

    expect(t && groupedQuery(t, ['a', 'b'])).toBe(grouped);
  });

  it.each([
    ['two placeholders', 'avg:m{service:{{service}},env:{{env}}}'],
    ['the same placeholder twice', 'avg:m{service:{{service}}} / avg:n{service:{{service}}}'],
    ['placeholder in the metric name', 'avg:{{service}}.latency{*}'],
    ['an existing by clause', 'avg:m{service:{{service}}} by {host}'],
    ['a function around the metric', 'abs(avg:m{service:{{service}}})'],
    ['boolean syntax already', 'avg:m{env:prod AND service:{{service}}}'],
    ['placeholder inside a tag value', 'avg:m{service:web-{{service}}}'],
    ['no placeholder', 'avg:m{*}'],
  ])('does not group %s', (_why, template) => {
    expect(analyseTemplate(template)).toBeUndefined();
  });
});

describe('planMetricUnits', () => {
  it('groups a template by its tag, keeps one-member groups and odd values plain, and dedupes queries', () => {
    const units = planMetricUnits([
      group('avg:m{service:{{service}}}', ['a', 'B', 'a', 'has space']),
      group('avg:n{service:{{service}}}', ['only']),
      group('avg:{{service}}.x{*}', ['p', 'p']),
    ]);

    expect(
      units.map((u) => [
        u.query,
        u.groupKey,
        u.targets.map((t) => `${t.member.stackId}=${t.tagValue ?? ''}`),
      ]),
    ).toEqual([
      ['avg:m{service:has space}', undefined, ['s3=']],
      ['avg:m{service IN (a, b)} by {service}', 'service', ['s0=a', 's2=a', 's1=b']],
      ['avg:n{service:only}', undefined, ['s0=']],
      ['avg:p.x{*}', undefined, ['s0=', 's1=']],
    ]);
  });

  it('splits a large fleet into grouped queries of at most 100 values', () => {
    const services = Array.from({ length: 250 }, (_, i) => `svc-${i}`);

    const units = planMetricUnits([group('avg:m{service:{{service}}}', services)]);

    expect(units.map((u) => u.expectedSeries)).toEqual([100, 100, 50]);
    expect(packBatches(units).map((b) => b.length)).toEqual([3]);
  });
});

describe('packBatches', () => {
  const plain = (n: number, series = 1): MetricUnit[] =>
    Array.from({ length: n }, (_, i) => ({ query: `q${i}`, targets: [], expectedSeries: series }));

  it.each([
    ['20 queries a request', plain(45), [20, 20, 5]],
    ['400 series a request', plain(5, 150), [2, 2, 1]],
    ['one oversized unit alone', plain(2, 900), [1, 1]],
  ])('caps at %s', (_why, units, sizes) => {
    expect(packBatches(units).map((b) => b.length)).toEqual(sizes);
  });
});

describe('withRollup', () => {
  it.each([
    ['avg:m{*}', 'avg:m{*}.rollup(avg, 600)'],
    ['sum:m{*} by {service}.as_count()', 'sum:m{*} by {service}.as_count().rollup(sum, 600)'],
    ['avg:m{*}.rollup(max, 60)', 'avg:m{*}.rollup(max, 60)'],
  ])('%s → %s', (query, expected) => {
    expect(withRollup(query, 600_000)).toBe(expected);
  });
});

describe('planEventUnits', () => {
  it('merges searches that differ in one key:value into one OR search, per kind', () => {
    const units = planEventUnits([
      { stackId: 'a', kind: 'deployments', query: 'source:deploy service:a' },
      { stackId: 'b', kind: 'deployments', query: 'source:deploy service:b' },
      { stackId: 'c', kind: 'deployments', query: 'source:deploy service:b' },
      { stackId: 'a', kind: 'alerts', query: 'source:alert @monitor.tags:"team:x"' },
      { stackId: 'b', kind: 'alerts', query: 'source:alert env:prod' },
    ]);

    expect(units.map((u) => [u.kind, u.query, u.groupKey, u.targets])).toEqual([
      [
        'deployments',
        'source:deploy service:(a OR b)',
        'service',
        [
          { stackId: 'a', value: 'a' },
          { stackId: 'b', value: 'b' },
          { stackId: 'c', value: 'b' },
        ],
      ],
      ['alerts', 'source:alert @monitor.tags:"team:x"', undefined, [{ stackId: 'a' }]],
      ['alerts', 'source:alert env:prod', undefined, [{ stackId: 'b' }]],
    ]);
  });
});

describe('resolveEndpoint', () => {
  it.each([
    [{}, 'https://api.datadoghq.com', 'https://app.datadoghq.com'],
    [{ site: 'datadoghq.eu' }, 'https://api.datadoghq.eu', 'https://app.datadoghq.eu'],
    [{ site: 'us3.datadoghq.com' }, 'https://api.us3.datadoghq.com', 'https://us3.datadoghq.com'],
    [{ site: 'https://app.datadoghq.com/' }, 'https://api.datadoghq.com', 'https://app.datadoghq.com'],
    [{ site: 'ddog-gov.com' }, 'https://api.ddog-gov.com', 'https://app.ddog-gov.com'],
    [
      { site: 'datadoghq.eu', url: 'https://user:secret@proxy.local/dd/' },
      'https://proxy.local/dd',
      undefined,
    ],
  ])('%j → %s', (options, apiUrl, appUrl) => {
    const endpoint = resolveEndpoint(options);

    expect(endpoint.apiUrl).toBe(apiUrl);
    expect(endpoint.appUrl).toBe(appUrl);
    expect(endpoint.display).not.toContain('secret');
  });
});

describe('RateLimitBudget', () => {
  it('counts requests in flight against what remains, and waits for the reset beyond it', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const budget = new RateLimitBudget({
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    budget.record('op', { 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '3' });

    const first = await budget.acquire('op', 60_000);
    await budget.acquire('op', 60_000);
    expect(sleeps).toEqual([]);
    first();
    await budget.acquire('op', 60_000);

    expect(sleeps).toEqual([3000]);
    await expect(async () => {
      budget.record('op', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '120' });
      await budget.acquire('op', now + 60_000);
    }).rejects.toThrow(/resets in 120 s/);
  });
});
