import type { MetricJudgment, Verdict } from '../../src/classify/judgment';
import { stackVerdict } from '../../src/classify/stack';
import {
  invalidReadingsText,
  metricReason,
  stackReasons,
  type ReasonedMetric,
  type WordingContext,
} from '../../src/report/wording';

const at = (hhmm: string, day = '2026-11-25') => Date.parse(`${day}T${hhmm}:00.000Z`);
const windowEnd = at('09:00', '2026-11-26');

/** A normal judgment of a p95 latency at 300 ms; each case changes what it is about. */
function judgment(over: Partial<MetricJudgment>): MetricJudgment {
  return {
    verdict: 'normal',
    rule: 'baseline',
    current: 0.3,
    usual: 0.3,
    change: 0,
    score: 0,
    coverage: 1,
    baselineWindows: 7,
    baselineWindowsWanted: 7,
    baselineWindowsNeeded: 3,
    baselineValues: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
    episodes: [],
    ...over,
  };
}

const latency: WordingContext = { label: 'p95 latency', unit: 's', timezone: 'UTC', windowEnd };
const spike = { start: at('14:00'), end: at('15:00'), peak: 0.9, usual: 0.3 };

describe('metricReason', () => {
  it.each<[string, Partial<MetricJudgment>, Partial<WordingContext>, string]>([
    // [case, judgment, context overrides, sentence]
    [
      'a regression from the baseline, in spreads not MADs',
      { verdict: 'bad', current: 0.42, change: 0.4, score: 8.04 },
      {},
      'p95 latency 420 ms vs usual 300 ms (+40%, 8.0× the usual spread)',
    ],
    [
      'an improvement',
      { verdict: 'good', current: 200, usual: 100, change: 1, score: 12.5 },
      { label: 'throughput', unit: 'req/s' },
      'throughput 200 req/s vs usual 100 req/s (+100%, 12.5× the usual spread) — better',
    ],
    [
      'within the usual range',
      { score: -0.42, change: -0.01, current: 0.297 },
      {},
      'p95 latency 297 ms vs usual 300 ms (−1%, 0.4× the usual spread)',
    ],
    [
      'an objective breached',
      { verdict: 'bad', rule: 'slo', score: 0.1 },
      { slo: { max: 0.25 } },
      'p95 latency 300 ms vs usual 300 ms (±0%, 0.1× the usual spread), objective ≤ 250 ms breached',
    ],
    [
      'an objective breached with no baseline',
      { verdict: 'bad', rule: 'slo', usual: null, change: null, score: null },
      { slo: { min: 0.5 } },
      'p95 latency 300 ms, objective ≥ 500 ms breached',
    ],
    [
      'the source failed',
      { verdict: 'unknown', rule: 'source', failure: 'source "dd": 403 Forbidden' },
      {},
      'p95 latency: no data — source "dd": 403 Forbidden',
    ],
    [
      'the data stopped',
      { verdict: 'unknown', rule: 'coverage', coverage: 0.167, lastSeenEnd: at('13:00') },
      {},
      'p95 latency: no data since 13:00 (17% of expected points)',
    ],
    [
      'nothing in the window',
      { verdict: 'unknown', rule: 'coverage', coverage: 0, current: null },
      {},
      'p95 latency: no data in the window (0% of expected points)',
    ],
    [
      'too few baseline days',
      { verdict: 'unknown', baselineWindows: 2 },
      {},
      'p95 latency 300 ms: only 2 of 7 baseline days have data (needs 3)',
    ],
    [
      'one episode',
      { verdict: 'bad', rule: 'episode', episodes: [spike] },
      {},
      'p95 latency 14:00–15:00 at 900 ms, 3.0× usual 300 ms',
    ],
    [
      'the worst of two episodes, and how many more',
      {
        verdict: 'bad',
        rule: 'episode',
        episodes: [
          { ...spike, peak: 0.6 },
          { ...spike, start: at('18:00'), end: at('19:00') },
        ],
      },
      {},
      'p95 latency 18:00–19:00 at 900 ms, 3.0× usual 300 ms (+1 more)',
    ],
    [
      'a dip on a neutral metric',
      { verdict: 'bad', rule: 'episode', episodes: [{ ...spike, peak: 20, usual: 100 }] },
      { label: 'throughput', unit: 'req/s' },
      'throughput 14:00–15:00 at 20 req/s, 20% of usual 100 req/s',
    ],
    [
      'a spike of one reading',
      { verdict: 'bad', rule: 'spike', episodes: [{ ...spike, end: spike.start }] },
      {},
      'p95 latency 14:00 at 900 ms, 3.0× usual 300 ms',
    ],
    [
      'a regression still outside the band at the window end, with a break',
      {
        verdict: 'bad',
        current: 0.6,
        change: 1,
        score: 20,
        episodes: [
          { ...spike, start: at('15:00'), end: at('03:00', '2026-11-26') },
          { ...spike, start: at('03:10', '2026-11-26'), end: windowEnd },
        ],
      },
      {},
      'p95 latency 600 ms vs usual 300 ms (+100%, 20.0× the usual spread), outside the usual band since 15:00, with breaks',
    ],
    [
      'a regression that ended',
      {
        verdict: 'bad',
        current: 0.6,
        change: 1,
        score: 20,
        episodes: [{ ...spike, start: at('15:00'), end: at('17:00') }],
      },
      { slo: { max: 1 } },
      'p95 latency 600 ms vs usual 300 ms (+100%, 20.0× the usual spread), objective ≤ 1 s, outside the usual band 15:00–17:00',
    ],
    [
      'a regression with an estimated onset',
      { verdict: 'bad', current: 0.4, change: 0.33, score: 6, onset: { at: at('15:00'), estimated: true } },
      {},
      'p95 latency 400 ms vs usual 300 ms (+33%, 6.0× the usual spread), changed around 15:00',
    ],
    [
      'data that stopped early on a normal day',
      { noDataSince: at('06:00', '2026-11-26') },
      {},
      'p95 latency 300 ms vs usual 300 ms (±0%, 0.0× the usual spread); no data since 06:00',
    ],
  ])('%s', (_case, over, context, sentence) => {
    expect(metricReason(judgment(over), { ...latency, ...context })).toBe(sentence);
  });

  it('never says MAD', () => {
    const sentence = metricReason(judgment({ verdict: 'bad', score: 5.2, change: 0.47 }), latency);

    expect(sentence).not.toMatch(/MAD/);
  });
});

/** A metric for the stack rules and reasons: `c` marks a critical metric, `wN` a weight. */
function metric(code: string, index: number): ReasonedMetric & { critical: boolean; weight: number } {
  const [verdict, ...flags] = code.split(':') as [Verdict, ...string[]];
  const weight = Number(flags.find((f) => f.startsWith('w'))?.slice(1) ?? 1);
  return { verdict, critical: flags.includes('c'), weight, reason: `metric ${index} is ${verdict}` };
}

const metrics = (codes: string[]) => codes.map(metric);

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

describe('invalidReadingsText', () => {
  it.each([
    [1, 0, 1, '1 reading outside 0–1 left out as invalid'],
    [3, 0, undefined, '3 readings outside ≥ 0 left out as invalid'],
    [2, undefined, 100, '2 readings outside ≤ 100 left out as invalid'],
  ])('%i readings, min %p, max %p: %s', (invalid, min, max, text) => {
    expect(invalidReadingsText(invalid, min, max)).toBe(text);
  });
});
