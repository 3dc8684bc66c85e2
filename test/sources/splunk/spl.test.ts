import { addSplit, planSearches, splitRows } from '../../../src/sources/splunk/spl';

const members = (template: string, values: string[], extra: Record<string, string> = {}) =>
  values.map((service) => ({
    query: template.replace(/\{\{\s*service\s*\}\}/g, service).replace('{{env}}', extra.env ?? 'prod'),
    vars: {
      service,
      ...('env' in extra || template.includes('{{env}}') ? { env: extra.env ?? 'prod' } : {}),
    },
  }));

describe('one search for a shared template', () => {
  it.each([
    [
      'timechart: one column per value',
      'search index=web service={{service}} | timechart span=5m p95(latency_ms)',
      'search index=web (service="a" OR service="b") | timechart limit=0 span=5m p95(latency_ms) by service useother=f usenull=f',
      'wide',
    ],
    [
      'quoted value, other vars filled',
      'search index=web env={{env}} service="{{service}}" | timechart span=5m avg(x)',
      'search index=web env=prod (service="a" OR service="b") | timechart limit=0 span=5m avg(x) by service useother=f usenull=f',
      'wide',
    ],
    [
      'mstats: BY before the span',
      '| mstats avg(cpu.util) WHERE index=metrics host={{service}} span=5m',
      '| mstats avg(cpu.util) WHERE index=metrics (host="a" OR host="b") BY host span=5m',
      'long',
    ],
    [
      'stats by _time: one more split field',
      'search index=web service={{service}} | bin _time span=5m | stats avg(x) by _time',
      'search index=web (service="a" OR service="b") | bin _time span=5m | stats avg(x) by _time service',
      'long',
    ],
  ])('%s', (_name, template, search, shape) => {
    const [planned] = planSearches(template, members(template, ['a', 'b']), 'metrics');

    expect(planned).toMatchObject({ kind: 'grouped', search, shape });
  });

  it.each([
    ['the var is not a field value', 'search index=web | eval s="{{service}}" | timechart span=5m avg(x)'],
    [
      'the var is used twice',
      'search index=web service={{service}} OR alias={{service}} | timechart span=5m avg(x)',
    ],
    ['already split', 'search index=web service={{service}} | timechart span=5m avg(x) by host'],
    ['a limit of its own', 'search index=web service={{service}} | timechart limit=5 span=5m avg(x)'],
    [
      'inside a subsearch',
      'search index=web [search index=cmdb service={{service}} | fields host] | timechart span=5m avg(x)',
    ],
    ['a last command we cannot split', 'search index=web service={{service}} | stats avg(x)'],
  ])('asks stack by stack when %s', (_name, template) => {
    const planned = planSearches(template, members(template, ['a', 'b']), 'metrics');

    expect(planned.map((p) => p.kind)).toEqual(['single', 'single']);
  });

  it('asks stack by stack when two vars vary', () => {
    const template = 'search index=web env={{env}} service={{service}} | timechart span=5m avg(x)';
    const ms = [...members(template, ['a'], { env: 'prod' }), ...members(template, ['b'], { env: 'stage' })];

    expect(planSearches(template, ms, 'metrics').map((p) => p.kind)).toEqual(['single', 'single']);
  });

  it('quotes values as SPL strings and prefixes a bare search with the search command', () => {
    const template = 'index=web service={{service}} | timechart span=5m avg(x)';
    const [planned] = planSearches(template, members(template, ['a"b', 'c\\d']), 'metrics');

    expect(planned!.search).toBe(
      'search index=web (service="a\\"b" OR service="c\\\\d") | timechart limit=0 span=5m avg(x) by service useother=f usenull=f',
    );
  });

  it('keeps the split field in an event search that ends in table or fields', () => {
    expect(addSplit('search index=deploys service="x" | table _time title', 'service', 'events')).toEqual({
      search: 'search index=deploys service="x" | table _time title service',
      shape: 'long',
    });
    // Fields removed by name: the split field stays in the rows.
    expect(addSplit('search index=deploys | fields - _raw', 'service', 'events')).toEqual({
      search: 'search index=deploys | fields - _raw',
      shape: 'long',
    });
    expect(addSplit('search index=deploys | stats count by service', 'service', 'events')).toBeUndefined();
  });
});

describe('splitting a grouped answer', () => {
  it('long: rows by the field value, the field removed', () => {
    const rows = [
      { _time: 't1', host: 'a', 'avg(x)': '1' },
      { _time: 't1', host: 'b', 'avg(x)': '2' },
    ];

    expect(splitRows('long', 'host', new Set(['a', 'b']), rows)).toEqual({
      byValue: new Map([
        ['a', [{ _time: 't1', 'avg(x)': '1' }]],
        ['b', [{ _time: 't1', 'avg(x)': '2' }]],
      ]),
    });
  });

  it.each([
    ['long', [{ _time: 't', host: 'c', v: '1' }], 'host="c", which no stack asked for'],
    ['long', [{ _time: 't', v: '1' }], 'a row without a single host value'],
    ['wide', [{ _time: 't', OTHER: '1' }], 'a column "OTHER", which no stack asked for'],
  ] as const)('%s: an answer that cannot be mapped says why', (shape, rows, why) => {
    expect(splitRows(shape, 'host', new Set(['a', 'b']), rows)).toEqual({ unmappable: why });
  });
});
