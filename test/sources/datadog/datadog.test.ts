import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import type { DatadogSourceConfig } from '../../../src/config/schema';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { createDatadogSource } from '../../../src/sources/datadog';
import { sourceRegistry } from '../../../src/sources/registry';
import type { EventQuery, QueryGroup, SourceContext, SourcePlan } from '../../../src/sources/types';
import { FakeDatadog, apiKey, appKey, parseQuery, valueAt } from './fake-datadog';
import v2EventFixture from './fixtures/v2-event.json';
import { configText, recordFleet, reportTime } from './recorded-fleet';

const minute = 60_000;
const day = 86_400_000;
/** Report time T: 2026-11-26 08:00 UTC. */
const end = Date.UTC(2026, 10, 26, 8, 0, 0);

let fake: FakeDatadog;
let url: string;

beforeEach(async () => {
  fake = new FakeDatadog();
  url = await fake.start();
});

afterEach(async () => {
  await fake.close();
});

/** A fixed clock that moves only when the adapter sleeps; sleeps are recorded and return at once. */
function fakeContext() {
  let clock = end + 5 * minute;
  const sleeps: number[] = [];
  const ctx: SourceContext = {
    configDir: '/tmp',
    reportTime: end,
    logger: silentLogger,
    now: () => clock,
    sleep: (ms: number) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  return { ctx, sleeps };
}

function source(overrides: Partial<DatadogSourceConfig> = {}, ctx = fakeContext().ctx) {
  const config: DatadogSourceConfig = { id: 'dd', type: 'datadog', url, apiKey, appKey, ...overrides };
  return createDatadogSource(config, ctx);
}

function group(metricId: string, template: string, services: readonly string[]): QueryGroup {
  return {
    template,
    members: services.map((service) => ({
      stackId: service,
      metricId,
      query: template.replace('{{service}}', service),
      vars: { service },
    })),
  };
}

function plan(groups: QueryGroup[], options: { days?: number; events?: EventQuery[] } = {}): SourcePlan {
  const start = end - (options.days ?? 1) * day;
  return { start, end, groups, eventsStart: start, events: options.events ?? [] };
}

const latency = 'avg:trace.http.request.duration{env:prod,service:{{service}}}';
const errors = 'sum:trace.http.request.errors{env:prod,service:{{service}}}.as_count()';
const hits = 'sum:trace.http.request.hits{env:prod,service:{{service}}}.as_count()';
const signal = () => new AbortController().signal;

describe('datadog source: fetching metrics', () => {
  it('fetches a template for many stacks as one query grouped by the tag, and maps group_tags back', async () => {
    const p = plan([group('latency', latency, ['checkout', 'cart', 'search'])]);

    const result = await source().fetch(p, signal());

    expect(fake.metricRequests()).toHaveLength(1);
    const sent = (
      fake.metricRequests()[0]?.body as {
        data: { attributes: { queries: { query: string }[]; interval: number } };
      }
    ).data.attributes;
    expect(sent.queries.map((q) => q.query)).toEqual([
      'avg:trace.http.request.duration{env:prod AND service IN (checkout, cart, search)} by {service}',
    ]);
    expect(sent.interval).toBe(60_000);
    expect(result.health).toMatchObject({
      id: 'dd',
      type: 'datadog',
      status: 'ok',
      requests: 1,
      retries: 0,
      errors: [],
    });
    expect(result.series.map((s) => s.stackId)).toEqual(['checkout', 'cart', 'search']);
    for (const s of result.series) {
      expect(s.stepMs).toBe(60_000);
      expect(s.points).toHaveLength(1440);
      for (const [t, v] of s.points.slice(0, 50)) {
        expect(t).toBeGreaterThanOrEqual(p.start);
        expect(v).toBe(valueAt('trace.http.request.duration', s.stackId, t, 60_000));
      }
    }
    // Datadog's nulls stay gaps.
    expect(result.series[0]?.points.some(([, v]) => v === null)).toBe(true);
  });

  it('batches templates that cannot be grouped into one request with several queries', async () => {
    const p = plan([
      {
        template: 'avg:{{service}}.queue.depth{*}',
        members: ['a', 'b'].map((s) => ({
          stackId: s,
          metricId: 'depth',
          query: `avg:${s}.queue.depth{*}`,
          vars: { service: s },
        })),
      },
      group('latency', latency, ['solo']),
    ]);

    const result = await source().fetch(p, signal());

    expect(fake.metricRequests()).toHaveLength(1);
    const queries = (
      fake.metricRequests()[0]?.body as { data: { attributes: { queries: { query: string }[] } } }
    ).data.attributes.queries;
    expect(queries.map((q) => q.query)).toEqual([
      'avg:a.queue.depth{*}',
      'avg:b.queue.depth{*}',
      'avg:trace.http.request.duration{env:prod,service:solo}',
    ]);
    const first = result.series.find((s) => s.stackId === 'b')?.points.find(([, v]) => v !== null);
    expect(first?.[1]).toBe(valueAt('b.queue.depth', '*', first?.[0] ?? 0, 60_000));
    expect(result.series.map((s) => `${s.stackId}/${s.metricId}`)).toEqual([
      'a/depth',
      'b/depth',
      'solo/latency',
    ]);
  });

  it('fetches a 50-stack fleet with 3 templates over 8 days in at most 6 metric requests', async () => {
    const stacks = Array.from({ length: 50 }, (_, i) => `svc-${i}`);
    const p = plan(
      [group('latency', latency, stacks), group('errors', errors, stacks), group('hits', hits, stacks)],
      { days: 8 },
    );

    const result = await source().fetch(p, signal());

    const metricRequests = fake.metricRequests().length;
    expect(metricRequests).toBeLessThanOrEqual(6);
    expect(metricRequests).toBe(1);
    expect(result.series).toHaveLength(150);
    expect(result.failures).toEqual([]);
    for (const s of result.series) {
      expect(s.points.length).toBeLessThanOrEqual(1500);
      expect(s.points.length).toBeGreaterThan(1000);
      expect(s.stepMs).toBe(600_000);
    }
    const errorsOf7 = result.series.find((s) => s.stackId === 'svc-7' && s.metricId === 'errors');
    const point = errorsOf7?.points.find(([, v]) => v !== null);
    expect(point?.[1]).toBe(valueAt('trace.http.request.errors', 'svc-7', point?.[0] ?? 0, 600_000));
  });

  it('uses the interval Datadog reports when it widens the one asked for', async () => {
    fake.minIntervalMs = 30 * minute;

    const result = await source().fetch(plan([group('latency', latency, ['a', 'b'])], { days: 2 }), signal());

    const s = result.series[0];
    expect(s?.stepMs).toBe(30 * minute);
    expect(s?.points).toHaveLength(96);
    expect((s?.points[1]?.[0] ?? 0) - (s?.points[0]?.[0] ?? 0)).toBe(30 * minute);
  });

  it('falls back to /api/v1/query with an explicit rollup when the v2 endpoint is missing', async () => {
    fake.intercept = (req) =>
      req.path === '/api/v2/query/timeseries' ? { status: 404, json: { errors: ['Not found'] } } : undefined;
    fake.minIntervalMs = 20 * minute;

    const result = await source().fetch(plan([group('errors', errors, ['a', 'b'])], { days: 8 }), signal());

    const v1 = fake.requests.filter((r) => r.path === '/api/v1/query');
    expect(v1).toHaveLength(1);
    expect(parseQuery(v1[0]?.query.get('query') ?? '')).toMatchObject({
      by: 'service',
      values: ['a', 'b'],
      rollupSec: 600,
    });
    expect(v1[0]?.query.get('query')).toMatch(/\.as_count\(\)\.rollup\(sum, 600\)$/);
    expect(result.health.status).toBe('ok');
    expect(result.series.map((s) => s.stepMs)).toEqual([20 * minute, 20 * minute]);
    const point = result.series[1]?.points.find(([, v]) => v !== null);
    expect(point?.[1]).toBe(valueAt('trace.http.request.errors', 'b', point?.[0] ?? 0, 20 * minute));
  });
});

describe('datadog source: rate limits and failures', () => {
  it('waits for X-RateLimit-Reset after a 429, then succeeds', async () => {
    const { ctx, sleeps } = fakeContext();
    fake.intercept = (_req, n) =>
      n === 1
        ? {
            status: 429,
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '7' },
            json: { errors: ['Too many requests'] },
          }
        : undefined;

    const result = await source({}, ctx).fetch(plan([group('latency', latency, ['a', 'b'])]), signal());

    expect(sleeps).toEqual([7000]);
    expect(result.health).toMatchObject({ status: 'ok', requests: 2, retries: 1 });
    expect(result.series).toHaveLength(2);
  });

  it('does not start a request while the rate-limit budget is spent: it waits for the reset', async () => {
    const { ctx, sleeps } = fakeContext();
    fake.maxEventPage = 2;
    fake.rate = { limit: 3, period: 10, remaining: 1, reset: 4 };
    fake.events = Array.from({ length: 5 }, (_, i) => ({
      id: `e${i}`,
      at: end - (i + 1) * 3600_000,
      title: `deploy ${i}`,
      tags: ['source:deploy', 'service:a'],
    }));

    const result = await source({}, ctx).fetch(
      plan([], { events: [{ stackId: 'a', kind: 'deployments', query: 'source:deploy service:a' }] }),
      signal(),
    );

    // Every page after the first answered "remaining 0, reset in 4 s": each waits for the reset.
    expect(fake.eventRequests()).toHaveLength(3);
    expect(sleeps).toEqual([4000, 4000]);
    expect(result.events).toHaveLength(5);
    expect(result.health.status).toBe('ok');
  });

  it('gives up without a request when the budget only comes back after the time budget', async () => {
    const { ctx, sleeps } = fakeContext();
    fake.maxEventPage = 2;
    fake.rate = { limit: 3, period: 3600, remaining: 1, reset: 3600 };
    fake.events = Array.from({ length: 5 }, (_, i) => ({
      id: `e${i}`,
      at: end - (i + 1) * 3600_000,
      title: 'x',
      tags: ['service:a'],
    }));

    const result = await source({}, ctx).fetch(
      plan([], { events: [{ stackId: 'a', kind: 'deployments', query: 'service:a' }] }),
      signal(),
    );

    expect(fake.eventRequests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(result.health.status).toBe('failed');
    expect(result.health.errors[0]).toMatch(
      /^source "dd": deployments search "service:a" failed: not started: rate limit spent/,
    );
  });

  it('backs off with jitter through a 5xx storm and fails only after bounded attempts', async () => {
    const { ctx, sleeps } = fakeContext();
    fake.intercept = () => ({ status: 503, json: { errors: [`upstream down (key ${apiKey})`] } });

    const result = await source({ maxAttempts: 3 }, ctx).fetch(
      plan([group('latency', latency, ['a', 'b'])]),
      signal(),
    );

    expect(fake.requests).toHaveLength(3);
    // Full jitter with random() = 0.5 on 500 ms doubling: 250, 500.
    expect(sleeps).toEqual([250, 500]);
    expect(result.health).toMatchObject({ status: 'failed', requests: 3, retries: 2 });
    expect(result.series).toEqual([]);
    expect(result.failures.map((f) => f.stackId)).toEqual(['a', 'b']);
    expect(result.failures[0]?.error).toBe(
      'source "dd": query "avg:trace.http.request.duration{env:prod,service:a}" failed: ' +
        'Datadog answered 503 Service Unavailable: upstream down (key ***) (gave up after 3 attempts)',
    );
    expect(JSON.stringify(result)).not.toContain(apiKey);
  });

  it("honours Retry-After on a 5xx and keeps a proxy's HTML page out of the message", async () => {
    const { ctx, sleeps } = fakeContext();
    fake.intercept = () => ({
      status: 502,
      headers: { 'retry-after': '2' },
      raw: '<html><body>Bad gateway</body></html>',
    });

    const result = await source({ maxAttempts: 2 }, ctx).fetch(
      plan([group('latency', latency, ['a', 'b'])]),
      signal(),
    );

    expect(sleeps).toEqual([2000]);
    expect(result.failures[0]?.error).toMatch(
      /failed: Datadog answered 502 Bad Gateway \(gave up after 2 attempts\)$/,
    );
  });

  it('reports a malformed JSON answer without retrying it', async () => {
    fake.intercept = () => ({ status: 200, raw: '{"data": {"attributes": {"series": [' });

    const result = await source().fetch(plan([group('latency', latency, ['a', 'b'])]), signal());

    expect(fake.requests).toHaveLength(1);
    expect(result.health.status).toBe('failed');
    expect(result.failures[0]?.error).toMatch(/failed: unreadable answer/);
  });

  it('says the keys or the site look wrong on 401, names the source, and stops there', async () => {
    fake.intercept = () => ({ status: 401, json: { errors: ['Unauthorized'] } });

    const result = await source().fetch(
      plan([group('latency', latency, ['a', 'b']), group('hits', 'avg:{{service}}.x{*}', ['a', 'b'])], {
        events: [{ stackId: 'a', kind: 'alerts', query: 'source:alert' }],
      }),
      signal(),
    );

    expect(result.health.status).toBe('failed');
    expect(result.health.retries).toBe(0);
    expect(result.health.errors).toEqual([
      `source "dd": Datadog answered 401 Unauthorized: check apiKey and appKey (the application key needs the ` +
        `timeseries_query and events_read scopes) and that they belong to url ${url}`,
    ]);
    expect(result.failures).toHaveLength(4);
    expect(JSON.stringify(result)).not.toContain(apiKey);
    expect(JSON.stringify(result)).not.toContain(appKey);
  });

  it('answers 403 for a wrong application key with the same advice', async () => {
    const result = await source({ appKey: 'wrong-app-key-000' }).fetch(
      plan([group('latency', latency, ['a', 'b'])]),
      signal(),
    );

    expect(result.health.errors[0]).toMatch(
      /^source "dd": Datadog answered 403 Forbidden: check apiKey and appKey/,
    );
    expect(JSON.stringify(result)).not.toContain('wrong-app-key-000');
  });

  it('bounds a hanging server with the per-request timeout', async () => {
    fake.intercept = () => ({ status: 200, hang: true });
    const started = performance.now();

    const result = await source({ timeoutMs: 40, maxAttempts: 2 }).fetch(
      plan([group('latency', latency, ['a', 'b'])]),
      signal(),
    );

    expect(performance.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(2);
    expect(result.health).toMatchObject({ status: 'failed', requests: 2, retries: 1 });
    expect(result.failures[0]?.error).toMatch(/no answer within 40 ms \(gave up after 2 attempts\)$/);
  });

  it('retries a refused connection, then reports it', async () => {
    await fake.close();

    const result = await source({ maxAttempts: 2 }).fetch(
      plan([group('latency', latency, ['a', 'b'])]),
      signal(),
    );

    expect(result.health).toMatchObject({ status: 'failed', requests: 2, retries: 1 });
    expect(result.failures[0]?.error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('isolates a bad query inside a batch: only its metrics fail', async () => {
    fake.badMetrics.add('broken.metric');
    const p = plan([
      group('latency', latency, ['a', 'b']),
      group('broken', 'avg:broken.metric{service:{{service}}}', ['a']),
      group('hits', hits, ['a', 'b']),
    ]);

    const result = await source().fetch(p, signal());

    expect(result.health.status).toBe('partial');
    expect(result.failures).toEqual([
      {
        stackId: 'a',
        metricId: 'broken',
        error:
          'source "dd": query "avg:broken.metric{service:a}" failed: ' +
          'Datadog answered 400 Bad Request: Error parsing query: avg:broken.metric{service:a}',
      },
    ]);
    expect(result.series.map((s) => `${s.stackId}/${s.metricId}`).sort()).toEqual([
      'a/hits',
      'a/latency',
      'b/hits',
      'b/latency',
    ]);
    expect(result.series.every((s) => s.points.length > 0)).toBe(true);
    // 1 batch of 3, then halves of 2 and 1, then the 2 alone: bounded by 2·queries.
    expect(fake.metricRequests().length).toBeLessThanOrEqual(5);
  });

  it('falls back to the plain queries when Datadog refuses the grouped one', async () => {
    fake.intercept = (req) => {
      const queries = (req.body as { data: { attributes: { queries: { query: string }[] } } }).data.attributes
        .queries;
      return queries.some((q) => q.query.includes(' IN ('))
        ? { status: 400, json: { errors: ['Error parsing query: IN is not supported'] } }
        : undefined;
    };

    const result = await source().fetch(plan([group('latency', latency, ['a', 'b', 'c'])]), signal());

    expect(result.health).toMatchObject({ status: 'ok', requests: 2, errors: [] });
    const plainQueries = (
      fake.requests[1]?.body as { data: { attributes: { queries: { query: string }[] } } }
    ).data.attributes.queries;
    expect(plainQueries.map((q) => q.query)).toEqual(
      ['a', 'b', 'c'].map((s) => latency.replace('{{service}}', s)),
    );
    expect(result.series.map((s) => s.points.length)).toEqual([1440, 1440, 1440]);
  });

  it('ignores DD_SITE, DD_API_KEY and DD_APP_KEY from the environment', async () => {
    const saved = { ...process.env };
    process.env.DD_SITE = 'datadoghq.eu';
    process.env.DD_API_KEY = 'env-api-key';
    process.env.DD_APP_KEY = 'env-app-key';
    try {
      const result = await source().fetch(plan([group('latency', latency, ['a', 'b'])]), signal());

      expect(result.health.status).toBe('ok');
      expect(fake.requests[0]?.headers['dd-api-key']).toBe(apiKey);
      expect(fake.requests[0]?.headers['dd-application-key']).toBe(appKey);
    } finally {
      process.env = saved;
    }
  });
});

describe('datadog source: events', () => {
  it('counts deployments and alerts per stack from grouped searches', async () => {
    const at = (hoursAgo: number) => end - hoursAgo * 3600_000;
    fake.maxEventPage = 2;
    fake.events = [
      { id: 'd1', at: at(1), title: 'Deployed checkout 1', tags: ['source:deploy', 'service:checkout'] },
      { id: 'd2', at: at(30), title: 'Deployed checkout 2', tags: ['source:deploy', 'service:checkout'] },
      { id: 'd3', at: at(50), title: 'Deployed checkout 3', tags: ['source:deploy', 'service:checkout'] },
      { id: 'd4', at: at(2), title: 'Deployed cart', tags: ['source:deploy', 'service:cart'] },
      { id: 'd5', at: at(3), title: 'Deployed someone else', tags: ['source:deploy', 'service:other'] },
      { id: 'd6', at: end - 40 * day, title: 'Too old', tags: ['source:deploy', 'service:cart'] },
      {
        id: 'a1',
        at: at(5),
        title: '[Triggered] checkout latency',
        tags: ['source:alert', 'service:checkout'],
      },
    ];
    const stacks = ['checkout', 'cart', 'search'];
    const events: EventQuery[] = stacks.flatMap((s) => [
      { stackId: s, kind: 'deployments' as const, query: `source:deploy service:${s}` },
      { stackId: s, kind: 'alerts' as const, query: `source:alert service:${s}` },
    ]);

    const result = await source().fetch(plan([], { days: 14, events }), signal());

    const count = (stackId: string, kind: string) =>
      result.events.filter((e) => e.stackId === stackId && e.kind === kind).length;
    expect([
      count('checkout', 'deployments'),
      count('cart', 'deployments'),
      count('search', 'deployments'),
    ]).toEqual([3, 1, 0]);
    expect([count('checkout', 'alerts'), count('cart', 'alerts')]).toEqual([1, 0]);
    const queries = fake.eventRequests().map((r) => r.query.get('filter[query]'));
    expect(new Set(queries)).toEqual(
      new Set([
        'source:deploy service:(checkout OR cart OR search)',
        'source:alert service:(checkout OR cart OR search)',
      ]),
    );
    // Two searches; the deployments one paged (4 hits, pages of 2) and every page was followed.
    expect(fake.eventRequests()).toHaveLength(3);
    expect(result.events.find((e) => e.title === 'Deployed cart')).toEqual({
      stackId: 'cart',
      kind: 'deployments',
      at: at(2),
      title: 'Deployed cart',
    });
    expect(result.health).toMatchObject({ status: 'ok', requests: 3 });
  });
});

describe('datadog source: events with bad times', () => {
  it('drops a deployment with no time and one after the report time: never a crash, never a guessed time', async () => {
    const page = (items: { id: string; timestamp?: string; title: string }[]) => ({
      data: items.map((e) => {
        const item = JSON.parse(JSON.stringify(v2EventFixture)) as typeof v2EventFixture;
        item.id = e.id;
        const attributes = item.attributes as Record<string, unknown>;
        const inner = item.attributes.attributes as Record<string, unknown>;
        delete attributes.timestamp;
        delete inner.timestamp;
        if (e.timestamp) attributes.timestamp = e.timestamp;
        item.attributes.message = e.title;
        item.attributes.attributes.title = e.title;
        return item;
      }),
      meta: { page: {}, elapsed: 1, request_id: 'req', status: 'done' },
      links: {},
    });
    fake.intercept = (req) =>
      req.path === '/api/v2/events'
        ? {
            status: 200,
            json: page([
              { id: 'no-time', title: 'Deployed without a time' },
              {
                id: 'future',
                timestamp: new Date(end + 3_600_000).toISOString(),
                title: 'Deployed tomorrow',
              },
              { id: 'ok', timestamp: new Date(end - 3_600_000).toISOString(), title: 'Deployed an hour ago' },
            ]),
          }
        : undefined;

    const result = await source().fetch(
      plan([], { days: 14, events: [{ stackId: 'a', kind: 'deployments', query: 'source:deploy' }] }),
      signal(),
    );

    expect(result.events.map((e) => e.title)).toEqual(['Deployed an hour ago']);
    expect(result.health.status).toBe('ok');
  });
});

describe('datadog source: registration', () => {
  it('is registered under its config type', () => {
    expect(sourceRegistry.datadog).toBe(createDatadogSource);
  });
});

// In this file rather than its own: loading the official client takes jest ~8 s per test file.
describe('datadog source: end to end through the pipeline', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-dd-e2e-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function report(text: string) {
    const config = parseConfig(text, join(dir, 'scrumops.json'), { DD_API_KEY: apiKey, DD_APP_KEY: appKey });
    const { reports } = await generateReports(
      config,
      { times: [reportTime], generatedAt: reportTime },
      { logger: silentLogger, now: () => reportTime, sleep: () => Promise.resolve(), random: () => 0.5 },
    );
    return reports[0]!;
  }

  it('gives the same report through type: datadog as through type: file on the same data', async () => {
    recordFleet(dir, fake);

    const viaFiles = await report(
      configText(
        { type: 'file', dir, timezone: 'UTC' },
        (m) => `{{service}}/${m}.json`,
        (stack) => `${stack}/deployments.csv`,
      ),
    );
    const viaDatadog = await report(
      configText(
        { type: 'datadog', url, apiKey: '${DD_API_KEY}', appKey: '${DD_APP_KEY}' },
        (m) => `avg:scrumops.${m}{env:demo,service:{{service}}}`,
        (stack) => `source:deploy service:${stack}`,
      ),
    );

    expect(viaDatadog.sources).toEqual([
      { id: 'data', type: 'datadog', status: 'ok', requests: 2, retries: 0, errors: [] },
    ]);
    expect(fake.metricRequests()).toHaveLength(1);
    // Not trivially uniform: bad (a shift and an episode), good, an unknown metric, deployments.
    expect(viaFiles.summary).toMatchObject({ bad: 2, good: 1 });
    expect(viaFiles.stacks.find((s) => s.id === 'auth')?.metrics.find((m) => m.id === 'cpu')?.verdict).toBe(
      'unknown',
    );
    expect(viaFiles.stacks.find((s) => s.id === 'checkout')?.events.deployments?.last14d).toBe(14);
    expect(viaDatadog.summary).toEqual(viaFiles.summary);
    expect(viaDatadog.stacks).toEqual(viaFiles.stacks);
  });
});
