import { silentLogger } from '../../../src/logger';
import { createGrafanaSource } from '../../../src/sources/grafana';
import { createPrometheusSource } from '../../../src/sources/prometheus';
import {
  planGroup,
  rewriteForLabel,
  splitByLabel,
  type GroupedRequest,
} from '../../../src/sources/prometheus/promql';
import { chooseSteps, maxPointsPerSeries, pointCount } from '../../../src/sources/prometheus/step';
import { createSource, sourceRegistry } from '../../../src/sources/registry';
import type { QueryGroup } from '../../../src/sources/types';

const values = ['api.v2', 'checkout'];

describe('rewriteForLabel', () => {
  it.each([
    ['a plain selector', 'm{service="{{s}}"}', 'm{service=~"api\\\\.v2|checkout"}'],
    [
      'an aggregation without grouping',
      'sum(rate(m{service="{{s}}"}[5m]))',
      'sum by (service) (rate(m{service=~"api\\\\.v2|checkout"}[5m]))',
    ],
    [
      'a leading by clause',
      'histogram_quantile(0.95, sum by (le) (rate(b{service="{{s}}"}[5m])))',
      'histogram_quantile(0.95, sum by (le, service) (rate(b{service=~"api\\\\.v2|checkout"}[5m])))',
    ],
    [
      'a trailing by clause',
      'max(m{service="{{s}}"}) by (env)',
      'max(m{service=~"api\\\\.v2|checkout"}) by (env, service)',
    ],
    [
      'a by clause that already keeps it',
      'avg by (service) (m{service="{{s}}"})',
      'avg by (service) (m{service=~"api\\\\.v2|checkout"})',
    ],
    [
      'a ratio of two aggregations',
      'sum(rate(e{service="{{s}}"}[5m])) / sum(rate(r{service="{{s}}"}[5m]))',
      'sum by (service) (rate(e{service=~"api\\\\.v2|checkout"}[5m])) / sum by (service) (rate(r{service=~"api\\\\.v2|checkout"}[5m]))',
    ],
    [
      'nested aggregations',
      'max(sum by (pod) (m{service="{{s}}"}))',
      'max by (service) (sum by (pod, service) (m{service=~"api\\\\.v2|checkout"}))',
    ],
  ])('groups %s', (_, query, expected) => {
    expect(rewriteForLabel(query, 's', values)).toEqual({ query: expected, label: 'service' });
  });

  it.each([
    ['a regex matcher', 'm{service=~"{{s}}"}'],
    ['a negative matcher', 'm{service!="{{s}}"}'],
    ['a value inside a longer string', 'm{service="{{s}}-prod"}'],
    ['two different labels', 'm{service="{{s}}"} / n{app="{{s}}"}'],
    ['without', 'sum without (pod) (m{service="{{s}}"})'],
    ['on() matching', 'm{service="{{s}}"} / on() group_left n'],
    ['label_replace', 'label_replace(m{service="{{s}}"}, "service", "x", "", "")'],
    ['an aggregation that does not see the matcher', 'sum(m{service="{{s}}"}) / sum(total)'],
    ['the metric name', '{__name__="{{s}}"}'],
    ['the placeholder outside a matcher', 'topk({{s}}, m)'],
  ])('does not group %s', (_, query) => {
    expect(rewriteForLabel(query, 's', values)).toBeUndefined();
  });

  it('keeps strings and comments intact', () => {
    const query = 'sum(m{service="{{s}}", path="/sum(x) by (y)"}) # sum(z)';

    expect(rewriteForLabel(query, 's', ['a'])?.query).toBe(
      'sum by (service) (m{service=~"a", path="/sum(x) by (y)"}) # sum(z)',
    );
  });
});

describe('planGroup', () => {
  const member = (stackId: string, vars: Record<string, string>, query: string) => ({
    stackId,
    metricId: 'm',
    query,
    vars,
  });

  it('groups stacks that differ in one var, sharing a request between stacks with the same value', () => {
    const group: QueryGroup = {
      template: 'avg(m{env="{{env}}",service="{{service}}"})',
      members: [
        member('a', { env: 'prod', service: 'x' }, 'avg(m{env="prod",service="x"})'),
        member('b', { env: 'prod', service: 'y' }, 'avg(m{env="prod",service="y"})'),
        member('c', { env: 'prod', service: 'x' }, 'avg(m{env="prod",service="x"})'),
      ],
    };

    const [request, ...rest] = planGroup(group);

    expect(rest).toEqual([]);
    expect(request).toMatchObject({
      kind: 'grouped',
      label: 'service',
      query: 'avg by (service) (m{env="prod",service=~"x|y"})',
    });
    expect(
      request?.kind === 'grouped' && [...request.byValue].map(([v, ms]) => [v, ms.map((m) => m.stackId)]),
    ).toEqual([
      ['x', ['a', 'c']],
      ['y', ['b']],
    ]);
  });

  it('asks once per distinct query when a member was not made from the template', () => {
    const group: QueryGroup = {
      template: 'm{service="{{service}}"}',
      members: [
        member('a', { service: 'x' }, 'm{service="x"}'),
        member('b', { service: 'y' }, 'other{service="y"}'),
      ],
    };

    expect(planGroup(group).map((r) => r.kind)).toEqual(['single', 'single']);
  });
});

describe('splitByLabel', () => {
  const request: GroupedRequest = {
    kind: 'grouped',
    query: 'avg by (service) (m{service=~"x|y"})',
    label: 'service',
    byValue: new Map([
      ['x', [{ stackId: 'a', metricId: 'm', query: 'avg(m{service="x"})', vars: { service: 'x' } }]],
      ['y', [{ stackId: 'b', metricId: 'm', query: 'avg(m{service="y"})', vars: { service: 'y' } }]],
    ]),
  };

  it('splits series by the value of the label', () => {
    const found: Record<string, string>[] = [
      { service: 'y', env: 'prod' },
      { service: 'x' },
      { service: 'y', env: 'dev' },
    ];

    const split = splitByLabel(request, found, (s) => s);

    expect(split && [...split]).toEqual([
      ['y', [found[0], found[2]]],
      ['x', [found[1]]],
    ]);
  });

  it.each<[string, Record<string, string>[]]>([
    ['lacks the label', [{ service: 'x' }, { env: 'prod' }]],
    ['holds a value nobody asked for', [{ service: 'z' }]],
  ])('gives up when a series %s', (_, found: Record<string, string>[]) => {
    expect(splitByLabel(request, found, (s) => s)).toBeUndefined();
  });
});

describe('chooseSteps', () => {
  const day = 86_400_000;

  it.each([
    { days: 1 / 24, step: 60_000 },
    { days: 1, step: 60_000 },
    { days: 7, step: 60_000 },
    { days: 8, step: 120_000 },
    { days: 15, step: 120_000 },
    { days: 29, step: 300_000 },
    { days: 365, step: 3_600_000 },
    { days: 365 * 40, step: 86_400_000 * 2 },
  ])('$days days → step $step ms, within 11,000 points', ({ days, step }) => {
    const startMs = Date.UTC(2026, 0, 1, 7, 13);

    const steps = chooseSteps(startMs, startMs + days * day);

    expect(steps.stepMs).toBe(step);
    expect(pointCount(steps)).toBeLessThanOrEqual(maxPointsPerSeries);
    expect(steps.firstMs % step).toBe(0);
    expect(steps.firstMs).toBeGreaterThanOrEqual(startMs);
    expect(steps.lastMs).toBeLessThan(startMs + days * day);
  });
});

describe('registration', () => {
  it('registers both adapters under their config types, with the config id as their id', () => {
    const ctx = {
      configDir: '/',
      reportTime: 0,
      logger: silentLogger,
      now: () => 0,
      sleep: () => Promise.resolve(),
      random: () => 0,
    };

    expect(sourceRegistry.prometheus).toBe(createPrometheusSource);
    expect(sourceRegistry.grafana).toBe(createGrafanaSource);
    expect(createSource({ id: 'p1', type: 'prometheus', url: 'http://127.0.0.1:1' }, ctx).id).toBe('p1');
    expect(
      createSource(
        {
          id: 'g1',
          type: 'grafana',
          url: 'http://127.0.0.1:1',
          token: 't',
          datasource: { uid: 'u', type: 'prometheus' },
        },
        ctx,
      ).id,
    ).toBe('g1');
  });
});
