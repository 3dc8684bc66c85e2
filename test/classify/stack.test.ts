import { stackReasons, stackVerdict } from '../../src/classify/stack';
import type { MetricReport, Verdict } from '../../src/report/types';

/** A metric report reduced to what the stack rules read; `c` marks a critical metric, `wN` a weight. */
function metric(code: string, index: number): MetricReport {
  const [verdict, ...flags] = code.split(':') as [Verdict, ...string[]];
  const weight = Number(flags.find((f) => f.startsWith('w'))?.slice(1) ?? 1);
  return {
    id: `m${index}`,
    label: `metric ${index}`,
    unit: '',
    direction: 'lower',
    aggregation: 'mean',
    critical: flags.includes('c'),
    weight,
    source: 'test',
    verdict,
    current: 1,
    baseline: 1,
    change: 0,
    score: 0,
    coverage: 1,
    baselineWindows: 7,
    rule: 'baseline',
    episodes: [],
    reason: `metric ${index} is ${verdict}`,
  };
}

const metrics = (codes: string[]) => codes.map(metric);

describe('stackVerdict', () => {
  it.each<[string, string[], Verdict]>([
    // [case, metrics as verdict[:c critical][:wN weight], stack verdict]
    ['a critical metric is bad', ['bad:c', 'normal', 'normal', 'good'], 'bad'],
    ['a light non-critical metric is bad', ['bad', 'normal:c', 'normal', 'normal'], 'normal'],
    ['bad metrics carry exactly half the weight', ['bad', 'bad', 'normal:c', 'normal'], 'bad'],
    ['one heavy bad metric carries half the weight', ['bad:w2', 'normal:c', 'normal'], 'bad'],
    ['bad metrics carry less than half the weight', ['bad', 'normal:c:w2', 'normal'], 'normal'],
    ['every critical metric is unknown', ['unknown:c', 'unknown:c', 'normal', 'good'], 'unknown'],
    [
      'every critical metric is unknown, a light one is bad',
      ['unknown:c', 'bad', 'normal', 'normal'],
      'unknown',
    ],
    ['a critical bad beats unknown criticals', ['unknown:c', 'bad:c', 'normal'], 'bad'],
    ['one of two critical metrics is unknown', ['unknown:c', 'normal:c', 'normal'], 'normal'],
    ['no critical metrics and all unknown', ['unknown', 'unknown'], 'unknown'],
    ['no critical metrics, some unknown', ['unknown', 'normal'], 'normal'],
    ['none bad and one good', ['good', 'normal:c', 'normal'], 'good'],
    [
      'none bad, one good, a critical unknown and a critical normal',
      ['good', 'unknown:c', 'normal:c'],
      'good',
    ],
    ['one good but a light metric bad', ['good:c', 'bad', 'normal', 'normal'], 'normal'],
    ['everything normal', ['normal:c', 'normal', 'normal'], 'normal'],
    ['no metrics at all', [], 'unknown'],
  ])('%s → %s', (_case, codes, expected) => {
    expect(stackVerdict(metrics(codes))).toBe(expected);
  });
});

describe('stackReasons', () => {
  it.each<[Verdict, string[], string[]]>([
    ['bad', ['normal', 'unknown', 'bad:c', 'good'], ['metric 2 is bad', 'metric 1 is unknown']],
    ['good', ['normal', 'good', 'unknown'], ['metric 1 is good', 'metric 2 is unknown']],
    ['unknown', ['unknown:c', 'normal'], ['metric 0 is unknown']],
    ['normal', ['normal', 'normal', 'normal'], ['all 3 metrics within their usual range']],
    // A bad metric too light to turn the stack bad is still said.
    ['normal', ['normal:c', 'bad', 'normal', 'normal'], ['metric 1 is bad']],
  ])('a %s stack of %j says %j', (verdict, codes, expected) => {
    const ms = metrics(codes);

    expect(stackVerdict(ms)).toBe(verdict);
    expect(stackReasons(verdict, ms)).toEqual(expected);
  });
});

describe('stackReasons for data that stopped early', () => {
  it('says a normal metric was judged on data that stopped hours ago, once', () => {
    const ms = metrics(['normal:c', 'good']);
    ms[0] = {
      ...ms[0]!,
      noDataSince: '2026-11-26T06:00:00.000Z',
      reason: 'metric 0 is normal; no data since 06:00',
    };

    expect(stackReasons('good', ms)).toEqual(['metric 1 is good', 'metric 0 is normal; no data since 06:00']);
    expect(stackReasons('normal', [ms[0]])).toEqual(['metric 0 is normal; no data since 06:00']);
  });
});
