/**
 * The Grafana source against a local server speaking Grafana's /api/ds/query and /api/annotations,
 * answering metric queries from a real Prometheus holding 9 days of backfilled history.
 */
import type { GrafanaSourceConfig } from '../../../src/config/schema';
import { silentLogger } from '../../../src/logger';
import { createGrafanaSource } from '../../../src/sources/grafana';
import type {
  EventQuery,
  QueryGroup,
  QueryMember,
  Series,
  SourceContext,
  SourcePlan,
} from '../../../src/sources/types';
import {
  startPrometheus,
  timesBetween,
  type HistorySeries,
  type RunningPrometheus,
} from '../../support/prometheus';
import { startFakeGrafana, type FakeGrafana } from './fake-grafana';

const minute = 60_000;
const day = 24 * 60 * minute;
const dataStart = Date.UTC(2026, 10, 10);
const dataEnd = dataStart + 9 * day;
const sampleStep = 2 * minute;
const planStart = dataStart + 9 * 60 * minute;
const planEnd = planStart + 8 * day; // inside the data: no staleness at the end
const token = 'glsa_fake_sa_token_9'; // fake, short of the secret scanner's length
const uid = 'prom-main';

const services = { checkout: 0.2, search: 0.5, cart: 3 } as const;
const nanAt = planStart + 10 * sampleStep;
const infAt = planStart + 11 * sampleStep;

function latency(service: keyof typeof services, at: number): number {
  if (service === 'search' && at === nanAt) return NaN;
  if (service === 'search' && at === infAt) return Infinity;
  return services[service] + ((at / sampleStep) % 5) / 100;
}

const history: HistorySeries[] = (Object.keys(services) as (keyof typeof services)[]).map((service) => ({
  metric: 'http_latency_seconds',
  labels: { service },
  points: timesBetween(dataStart, dataEnd, sampleStep).map((at): [number, number] => [
    at,
    latency(service, at),
  ]),
}));

let prometheus: RunningPrometheus;
let grafana: FakeGrafana;
beforeAll(async () => {
  prometheus = await startPrometheus(history);
});
afterAll(async () => {
  await prometheus?.stop();
});
beforeEach(async () => {
  grafana = await startFakeGrafana({ token, datasourceUid: uid, prometheusUrl: prometheus.url });
});
afterEach(async () => {
  await grafana.close();
});

const latencyTemplate = 'avg(http_latency_seconds{service="{{service}}"})';

function group(
  template: string,
  metricId: string,
  stacks: Record<string, Record<string, string>>,
): QueryGroup {
  const members: QueryMember[] = Object.entries(stacks).map(([stackId, vars]) => ({
    stackId,
    metricId,
    query: template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name]!),
    vars,
  }));
  return { template, members };
}

function plan(groups: QueryGroup[], events: EventQuery[] = [], start = planStart): SourcePlan {
  return { start, end: planEnd, groups, eventsStart: planEnd - 15 * day, events };
}

async function fetchWith(p: SourcePlan, config: Partial<GrafanaSourceConfig> = {}) {
  const waits: number[] = [];
  const ctx: SourceContext = {
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
  const source = createGrafanaSource(
    {
      id: 'graf',
      type: 'grafana',
      url: grafana.url,
      token,
      datasource: { uid, type: 'prometheus' },
      ...config,
    },
    ctx,
  );
  const result = await source.fetch(p, new AbortController().signal);
  return { result, waits, requests: grafana.requests };
}

const byStack = (series: Series[]) => new Map(series.map((s) => [`${s.stackId}/${s.metricId}`, s]));

describe('grafana source: metrics through /api/ds/query', () => {
  it('sends one refId per template to a Prometheus datasource and maps each frame to its stack by label', async () => {
    const stacks = {
      checkout: { service: 'checkout' },
      search: { service: 'search' },
      cart: { service: 'cart' },
    };
    const groups = [
      group(latencyTemplate, 'latency', stacks),
      group('max(http_latency_seconds{service="{{service}}"}) * 1000', 'latency_ms', stacks),
    ];

    const { result, requests } = await fetchWith(plan(groups));

    expect(result.health).toEqual({
      id: 'graf',
      type: 'grafana',
      status: 'ok',
      requests: 1,
      retries: 0,
      errors: [],
    });
    const sent = requests[0]!.body as { from: string; to: string; queries: Record<string, unknown>[] };
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(sent.from).toBe(String(planStart));
    expect(sent.queries.map((q) => [q.refId, q.expr])).toEqual([
      ['q1', 'avg by (service) (http_latency_seconds{service=~"cart|checkout|search"})'],
      ['q2', 'max by (service) (http_latency_seconds{service=~"cart|checkout|search"}) * 1000'],
    ]);
    expect(sent.queries[0]).toMatchObject({
      datasource: { uid, type: 'prometheus' },
      intervalMs: sampleStep,
      range: true,
    });
    const series = byStack(result.series);
    const times = timesBetween(planStart, planEnd, sampleStep);
    expect(result.series).toHaveLength(6);
    expect(series.get('checkout/latency')).toEqual({
      stackId: 'checkout',
      metricId: 'latency',
      stepMs: sampleStep,
      points: times.map((at) => [at, latency('checkout', at)]),
    });
    expect(series.get('cart/latency_ms')!.points[3]).toEqual([times[3], latency('cart', times[3]!) * 1000]);
    expect(series.get('search/latency_ms')!.points[3]![1]).toBeCloseTo(
      latency('search', times[3]!) * 1000,
      10,
    );
  });

  it('keeps one refId per distinct query for datasource types other than Prometheus', async () => {
    // The fake runs any expr on Prometheus, so a "loki" datasource answers like one here.
    const stacks = { checkout: { service: 'checkout' }, cart: { service: 'cart' } };
    const groups = [
      group(latencyTemplate, 'latency', stacks),
      group(latencyTemplate, 'latency_again', stacks),
    ];

    const { result, requests } = await fetchWith(plan(groups), { datasource: { uid, type: 'loki' } });

    expect(requests).toHaveLength(1);
    expect((requests[0]!.body as { queries: { expr: string }[] }).queries.map((q) => q.expr)).toEqual([
      'avg(http_latency_seconds{service="checkout"})',
      'avg(http_latency_seconds{service="cart"})',
    ]);
    expect(result.series).toHaveLength(4);
    expect(byStack(result.series).get('cart/latency_again')!.points[0]).toEqual([
      planStart,
      latency('cart', planStart),
    ]);
  });

  it('splits many queries into requests of 20 refIds', async () => {
    const stacks = Object.fromEntries(
      Array.from({ length: 45 }, (_, i) => [`s${i + 1}`, { k: String(i + 1) }]),
    );
    const g = group('avg(http_latency_seconds{service="checkout"}) * {{k}}', 'scaled', stacks);

    const { result, requests } = await fetchWith(plan([g], [], planEnd - 6 * 3_600_000));

    expect(requests.map((r) => (r.body as { queries: unknown[] }).queries.length)).toEqual([20, 20, 5]);
    expect(result.series).toHaveLength(45);
    const first = byStack(result.series).get('s7/scaled')!.points[0]!;
    expect(first[1]).toBeCloseTo(7 * latency('checkout', first[0]), 10);
  });

  it('costs 1 query request and 2 annotation requests for a 50-stack fleet with 3 templates over 8 days', async () => {
    const known = Object.keys(services);
    const ids = Array.from({ length: 50 }, (_, i) => `stack-${i}`);
    const stacks = Object.fromEntries(ids.map((id, i) => [id, { service: known[i] ?? `service-${i}` }]));
    const groups = [
      group(latencyTemplate, 'latency_avg', stacks),
      group('max(http_latency_seconds{service="{{service}}"})', 'latency_max', stacks),
      group('min(http_latency_seconds{service="{{service}}"})', 'latency_min', stacks),
    ];
    const events: EventQuery[] = ids.flatMap((id) => [
      { stackId: id, kind: 'deployments' as const, query: `deploy,service:${id}` },
      { stackId: id, kind: 'alerts' as const, query: `alert,service:${id}` },
    ]);

    const { result, requests } = await fetchWith(plan(groups, events));

    expect(result.health).toMatchObject({ status: 'ok', requests: 3, retries: 0 });
    const queries = requests.filter((r) => r.path === '/api/ds/query');
    expect(queries).toHaveLength(1);
    expect((queries[0]!.body as { queries: unknown[] }).queries).toHaveLength(3);
    expect(requests.filter((r) => r.path === '/api/annotations')).toHaveLength(2);
    expect(result.series).toHaveLength(150);
    expect(
      result.series
        .filter((s) => s.points.length > 0)
        .map((s) => `${s.stackId}/${s.metricId}`)
        .sort(),
    ).toEqual(
      ['stack-0', 'stack-1', 'stack-2'].flatMap((id) => [
        `${id}/latency_avg`,
        `${id}/latency_max`,
        `${id}/latency_min`,
      ]),
    );
    const cart = byStack(result.series).get('stack-2/latency_min')!.points;
    expect(cart[7]).toEqual([planStart + 7 * sampleStep, latency('cart', planStart + 7 * sampleStep)]);
  });

  it('fails only the query whose refId carries an error inside a 400', async () => {
    const g = group(latencyTemplate, 'latency', {
      checkout: { service: 'checkout' },
      cart: { service: 'cart' },
    });
    const bad: QueryGroup = {
      template: 'broken',
      members: [
        {
          stackId: 'search',
          metricId: 'latency',
          query: 'avg(http_latency_seconds{service="search"}[5m])',
          vars: {},
        },
      ],
    };

    const { result, requests } = await fetchWith(plan([g, bad]));

    expect(requests).toHaveLength(1);
    expect(result.failures).toEqual([
      {
        stackId: 'search',
        metricId: 'latency',
        error: expect.stringMatching(
          /^source "graf": the query avg\(.*\) failed \(HTTP 400\): bad_data: .*instant vector/,
        ) as unknown,
      },
    ]);
    expect(result.series.map((s) => s.stackId).sort()).toEqual(['cart', 'checkout']);
    expect(result.health.status).toBe('partial');
  });

  it('asks per stack when a grouped answer does not carry the grouping label', async () => {
    const stacks = { checkout: { service: 'checkout' }, cart: { service: 'cart' } };
    // A proxy in front of the datasource that drops labels: the frames cannot be told apart.
    grafana.script.push({
      status: 200,
      body: {
        results: {
          q1: {
            status: 200,
            frames: [
              {
                schema: {
                  fields: [
                    { name: 'Time', type: 'time', config: { interval: sampleStep } },
                    { name: 'Value', type: 'number' },
                  ],
                },
                data: { values: [[planStart], [1]] },
              },
            ],
          },
        },
      },
    });

    const { result, requests } = await fetchWith(plan([group(latencyTemplate, 'latency', stacks)]));

    expect(requests).toHaveLength(2);
    expect((requests[1]!.body as { queries: { expr: string }[] }).queries.map((q) => q.expr)).toEqual([
      'avg(http_latency_seconds{service="checkout"})',
      'avg(http_latency_seconds{service="cart"})',
    ]);
    expect(result.failures).toEqual([]);
    const series = byStack(result.series);
    expect(result.series).toHaveLength(2);
    expect(series.get('checkout/latency')!.points[0]).toEqual([planStart, latency('checkout', planStart)]);
    expect(series.get('cart/latency')!.points[0]).toEqual([planStart, latency('cart', planStart)]);
    expect(result.health).toMatchObject({ status: 'ok', requests: 2 });
  });

  it('asks per stack when Prometheus rejects a grouped refId; a bad stack query fails alone, other templates are read', async () => {
    // Two stacks' worth of samples pass, three do not: the grouped latency query (4 stacks) is refused.
    grafana.maxSamples = 2 * timesBetween(planStart, planEnd, sampleStep).length + 10;
    const latencyGroup = group(latencyTemplate, 'latency', {
      checkout: { service: 'checkout' },
      search: { service: 'search' },
      cart: { service: 'cart' },
      odd: { service: 'we"ird' }, // its own query does not parse; quoted in the grouped one
    });
    const maxGroup = group('max(http_latency_seconds{service="{{service}}"})', 'latency_max', {
      checkout: { service: 'checkout' },
      cart: { service: 'cart' },
    });

    const { result, requests } = await fetchWith(plan([latencyGroup, maxGroup]));

    const sent = requests.map((r) => (r.body as { queries: { expr: string }[] }).queries.map((q) => q.expr));
    expect(sent).toEqual([
      [
        'avg by (service) (http_latency_seconds{service=~"cart|checkout|search|we\\"ird"})',
        'max by (service) (http_latency_seconds{service=~"cart|checkout"})',
      ],
      latencyGroup.members.map((m) => m.query),
    ]);
    expect(result.failures).toEqual([
      {
        stackId: 'odd',
        metricId: 'latency',
        error: expect.stringMatching(
          /^source "graf": the query avg\(http_latency_seconds\{service="we"ird"\}\) failed \(HTTP 400\): bad_data: /,
        ) as unknown,
      },
    ]);
    const series = byStack(result.series);
    expect([...series.keys()].sort()).toEqual([
      'cart/latency',
      'cart/latency_max',
      'checkout/latency',
      'checkout/latency_max',
      'search/latency',
    ]);
    expect(series.get('search/latency')!.points[0]).toEqual([planStart, latency('search', planStart)]);
    expect(series.get('cart/latency_max')!.points[0]).toEqual([planStart, latency('cart', planStart)]);
    expect(result.health).toMatchObject({ status: 'partial', requests: 2 });
  });

  it('fails the stacks of a grouped refId together, without asking again, when the datasource errs with a 5xx', async () => {
    grafana.script.push({
      status: 400,
      body: { results: { q1: { status: 503, error: 'upstream unavailable' } } },
    });
    const g = group(latencyTemplate, 'latency', {
      checkout: { service: 'checkout' },
      cart: { service: 'cart' },
    });

    const { result, requests } = await fetchWith(plan([g]));

    expect(requests).toHaveLength(1);
    expect(result.series).toEqual([]);
    expect(result.failures.map((f) => [f.stackId, f.error])).toEqual([
      ['checkout', expect.stringMatching(/failed \(HTTP 503\): upstream unavailable$/) as unknown],
      ['cart', expect.stringMatching(/failed \(HTTP 503\): upstream unavailable$/) as unknown],
    ]);
  });

  it('turns NaN and Inf (null + entities in the frame) into gaps', async () => {
    const { result } = await fetchWith(
      plan([group(latencyTemplate, 'latency', { search: { service: 'search' } })]),
    );

    const points = result.series[0]!.points;
    expect(points.find(([at]) => at === nanAt)).toEqual([nanAt, null]);
    expect(points.find(([at]) => at === infAt)).toEqual([infAt, null]);
    expect(points.filter(([, v]) => v === null)).toHaveLength(2);
    expect(points.find(([at]) => at === infAt + sampleStep)?.[1]).toBeCloseTo(
      latency('search', infAt + sampleStep),
      10,
    );
  });

  it('gives a stack whose query matches nothing an empty series, from an empty frame or no frame at all', async () => {
    const g = group(latencyTemplate, 'latency', { ghost: { service: 'ghost' } });
    const first = await fetchWith(plan([g]));
    grafana.script.push({ status: 200, body: { results: { q1: { status: 200, frames: [] } } } });
    const second = await fetchWith(plan([g]));

    for (const { result } of [first, second]) {
      expect(result.failures).toEqual([]);
      expect(result.series).toEqual([
        { stackId: 'ghost', metricId: 'latency', points: [], stepMs: sampleStep },
      ]);
      expect(result.health.status).toBe('ok');
    }
  });

  it('names the source on 401 and keeps the token out of every message', async () => {
    const g = group(latencyTemplate, 'latency', { checkout: { service: 'checkout' } });

    const { result, requests } = await fetchWith(
      plan([g], [{ stackId: 'checkout', kind: 'deployments', query: 'deploy' }]),
      {
        token: 'glsa_wrong_token_value',
        maxAttempts: 3,
      },
    );

    expect(result.health.status).toBe('failed');
    expect(result.failures[0]!.error).toBe(
      'source "graf": not authenticated (HTTP 401: Invalid API key); check the token of source "graf": a Grafana service account token with the Viewer role',
    );
    expect(requests.length).toBeLessThanOrEqual(2);
    expect(JSON.stringify(result)).not.toContain('glsa_wrong_token_value');
  });

  it('says which datasource uid to check on 404, without retrying', async () => {
    const g = group(latencyTemplate, 'latency', { checkout: { service: 'checkout' } });

    const { result, requests, waits } = await fetchWith(plan([g]), {
      datasource: { uid: 'prom-typo', type: 'prometheus' },
    });

    expect(result.failures[0]!.error).toMatch(
      /^source "graf": POST \/api\/ds\/query: HTTP 404: Data source not found; check the url of source "graf" and its datasource.uid "prom-typo"/,
    );
    expect(requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries a 502 after its Retry-After and then reads the answer', async () => {
    grafana.script.push({ status: 502, headers: { 'Retry-After': '1' }, body: '<html>Bad Gateway</html>' });

    const { result, waits } = await fetchWith(
      plan([group(latencyTemplate, 'latency', { cart: { service: 'cart' } })]),
    );

    expect(waits).toEqual([1000]);
    expect(result.health).toMatchObject({ status: 'ok', requests: 2, retries: 1 });
    expect(result.series[0]!.points[0]).toEqual([planStart, latency('cart', planStart)]);
  });

  it('gives up on a server that never answers after maxAttempts timeouts', async () => {
    grafana.script.push('hang', 'hang');

    const { result, requests } = await fetchWith(
      plan([group(latencyTemplate, 'latency', { cart: { service: 'cart' } })]),
      {
        timeoutMs: 50,
        maxAttempts: 2,
      },
    );

    expect(requests.length).toBeGreaterThanOrEqual(1); // the second may time out before the server reads it
    expect(result.health).toMatchObject({ status: 'failed', requests: 2, retries: 1 });
    expect(result.failures[0]!.error).toMatch(
      /^source "graf": no answer within 50 ms \(POST \/api\/ds\/query/,
    );
  });

  it('reports a body that is not Grafana JSON as malformed', async () => {
    grafana.script.push({ status: 200, body: '<!doctype html><title>Grafana</title>' });

    const { result } = await fetchWith(
      plan([group(latencyTemplate, 'latency', { cart: { service: 'cart' } })]),
    );

    expect(result.failures[0]!.error).toMatch(/answered HTTP 200 with a body that is not JSON/);
  });

  it('needs a JSON query model for datasources other than Prometheus and Loki, without asking Grafana', async () => {
    const { result, requests } = await fetchWith(
      plan([group(latencyTemplate, 'latency', { cart: { service: 'cart' } })]),
      {
        datasource: { uid, type: 'influxdb' },
      },
    );

    expect(requests).toHaveLength(0);
    expect(result.failures[0]!.error).toMatch(/a influxdb datasource needs its query model as a JSON object/);
  });
});

describe('grafana source: events from /api/annotations', () => {
  const at = (hoursBeforeEnd: number) => planEnd - hoursBeforeEnd * 3_600_000;

  beforeEach(() => {
    grafana.annotations.push(
      {
        id: 1,
        time: at(2),
        tags: ['deploy', 'service:checkout'],
        text: '<b>checkout</b> v1.4.2',
        dashboardUID: 'abc',
        panelId: 4,
      },
      { id: 2, time: at(30), tags: ['deploy', 'service:checkout', 'env:prod'], text: 'checkout v1.4.1' },
      { id: 3, time: at(20 * 24), tags: ['deploy', 'service:checkout'], text: 'too old' },
      { id: 4, time: at(5), tags: ['deploy', 'service:search'], text: '' },
      { id: 5, time: at(1), tags: ['alert', 'service:checkout'], text: 'p95 high' },
      { id: 6, time: at(1), tags: ['service:checkout'], text: 'not a deploy' },
      { id: 7, time: planEnd + 60_000, tags: ['deploy', 'service:checkout'], text: 'after the report time' },
    );
  });

  it('counts tagged annotations per stack, with one request per kind when queries share a tag', async () => {
    const events: EventQuery[] = [
      { stackId: 'checkout', kind: 'deployments', query: 'deploy,service:checkout' },
      { stackId: 'search', kind: 'deployments', query: 'deploy, service:search' },
      { stackId: 'checkout', kind: 'alerts', query: 'alert,service:checkout' },
    ];

    const { result, requests } = await fetchWith(plan([], events));

    expect(requests.map((r) => r.query.getAll('tags'))).toEqual(
      expect.arrayContaining([['deploy'], ['alert', 'service:checkout']]),
    );
    expect(requests).toHaveLength(2);
    expect(requests[0]!.query.get('from')).toBe(String(planEnd - 15 * day));
    expect(result.events.map((e) => `${e.stackId} ${e.kind} ${e.title}`).sort()).toEqual([
      'checkout alerts p95 high',
      'checkout deployments checkout v1.4.1',
      'checkout deployments checkout v1.4.2',
      'search deployments deploy, service:search',
    ]);
    expect(result.events.find((e) => e.title === 'checkout v1.4.2')).toEqual({
      stackId: 'checkout',
      kind: 'deployments',
      at: at(2),
      title: 'checkout v1.4.2',
      url: `${grafana.url}/d/abc?viewPanel=4`,
    });
    expect(result.health).toMatchObject({ status: 'ok', requests: 2, errors: [] });
  });

  it('reports an event query without tags instead of fetching every annotation', async () => {
    const { result, requests } = await fetchWith(
      plan([], [{ stackId: 'checkout', kind: 'deployments', query: ' , ' }]),
    );

    expect(requests).toHaveLength(0);
    expect(result.health.status).toBe('failed');
    expect(result.health.errors).toEqual([
      expect.stringMatching(/the deployments query " , " of stack checkout names no tag/),
    ]);
  });
});
