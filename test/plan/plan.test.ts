import { parseConfig } from '../../src/config/load';
import { eventLookBackMs, fetchRange, planSources } from '../../src/plan';
import { reportWindows } from '../../src/plan/windows';

const config = parseConfig(
  `
report: { timezone: Europe/Berlin, at: "09:00", baseline: { days: 7 } }
sources:
  - { id: prom, type: prometheus, url: "http://prometheus:9090" }
  - { id: files, type: file, dir: data }
metrics:
  latency: { source: prom, query: 'histogram_quantile(0.95, rate(http_seconds_bucket{service="{{service}}"}[5m]))' }
  errors: { source: prom, query: 'rate(http_errors_total{service="{{service}}"}[5m])' }
  queue: { source: files, query: "{{service}}/queue.csv" }
stacks:
  - id: checkout
    vars: { service: checkout-api }
    metrics: [latency, errors]
    events: { deployments: { source: files, query: "checkout/deployments.csv" } }
  - id: search
    vars: { service: search-api }
    metrics: [latency, queue]
  - id: auth
    vars: { service: auth-api }
    metrics: [errors, { id: logins, source: prom, query: "sum(rate(logins_total[5m]))" }]
`,
  '/configs/plan.yaml',
  {},
);

const T = Date.parse('2026-11-26T08:00:00Z');
const day = 86_400_000;

describe('fetchRange', () => {
  it.each([
    // [report times, expected start, expected end]: from the oldest baseline start to the newest T
    [['2026-11-26T08:00:00Z'], '2026-11-18T08:00:00.000Z', '2026-11-26T08:00:00.000Z'],
    [
      ['2026-11-24T08:00:00Z', '2026-11-25T08:00:00Z', '2026-11-26T08:00:00Z'],
      '2026-11-16T08:00:00.000Z',
      '2026-11-26T08:00:00.000Z',
    ],
    // The 23-hour day inside the range: the oldest baseline window starts at 09:00 CET.
    [['2026-03-31T07:00:00Z'], '2026-03-23T08:00:00.000Z', '2026-03-31T07:00:00.000Z'],
  ])('report times %j fetch [%s, %s)', (times, start, end) => {
    const range = fetchRange(times.map((t) => reportWindows(Date.parse(t), config.report)));

    expect(new Date(range.start).toISOString()).toBe(start);
    expect(new Date(range.end).toISOString()).toBe(end);
  });
});

describe('planSources', () => {
  const range = { start: T - 8 * day, end: T };
  const plans = planSources(config.stacks, range, T - eventLookBackMs);

  it('plans only for sources something uses, one plan each', () => {
    expect([...plans.keys()].sort()).toEqual(['files', 'prom']);
  });

  it('groups stacks that share a template on a source into one query group', () => {
    const prom = plans.get('prom')!;

    expect(prom.groups.map((g) => [g.template, g.members.map((m) => m.stackId)])).toEqual([
      [config.stacks[0]!.metrics[0]!.template, ['checkout', 'search']],
      [config.stacks[0]!.metrics[1]!.template, ['checkout', 'auth']],
      ['sum(rate(logins_total[5m]))', ['auth']],
    ]);
  });

  it('gives each member its filled query and the vars that filled it', () => {
    const latency = plans.get('prom')!.groups[0]!;

    expect(latency.members).toEqual([
      {
        stackId: 'checkout',
        metricId: 'latency',
        query: 'histogram_quantile(0.95, rate(http_seconds_bucket{service="checkout-api"}[5m]))',
        vars: { service: 'checkout-api' },
      },
      {
        stackId: 'search',
        metricId: 'latency',
        query: 'histogram_quantile(0.95, rate(http_seconds_bucket{service="search-api"}[5m]))',
        vars: { service: 'search-api' },
      },
    ]);
  });

  it('covers the whole range, and events over the last 14 days', () => {
    const files = plans.get('files')!;

    expect(files).toMatchObject({ start: range.start, end: range.end, eventsStart: T - 14 * day });
    expect(files.events).toEqual([
      {
        stackId: 'checkout',
        kind: 'deployments',
        query: 'checkout/deployments.csv',
        template: 'checkout/deployments.csv',
        vars: {},
      },
    ]);
    expect(files.groups).toEqual([
      {
        template: '{{service}}/queue.csv',
        members: [expect.objectContaining({ stackId: 'search', query: 'search-api/queue.csv' })],
      },
    ]);
  });

  it('starts events no later than the data range', () => {
    const plan = planSources(config.stacks, range, T).get('files')!;

    expect(plan.eventsStart).toBe(range.start);
  });
});
