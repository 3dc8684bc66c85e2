/** Onsets (episode start, else an estimated change point) and linking deployments/alerts to them. */
import { onsetOf } from '../../../src/report/story/onset';
import { linkEvents, withOnsetAndLinks } from '../../../src/report/story/links';
import type { MetricReport } from '../../../src/report/types';
import type { SourceEvent } from '../../../src/sources/types';

const tz = 'Europe/Berlin';
const minute = 60_000;
const at = (hhmm: string) => Date.parse(`2026-11-25T${hhmm}:00.000Z`) - 0; // UTC clock; Berlin is +1

function metric(overrides: Partial<MetricReport> = {}): MetricReport {
  return {
    id: 'latency_p95',
    label: 'p95 latency',
    unit: 's',
    direction: 'lower',
    aggregation: 'mean',
    critical: true,
    weight: 1,
    source: 'dd',
    verdict: 'bad',
    current: 0.414,
    baseline: 0.291,
    change: 0.42,
    score: 8.5,
    coverage: 1,
    baselineWindows: 7,
    rule: 'baseline',
    episodes: [],
    reason: 'p95 latency 414 ms vs usual 291 ms (+42%)',
    ...overrides,
  };
}

const deploy = (utc: string, title: string): SourceEvent => ({
  stackId: 'checkout',
  kind: 'deployments',
  at: at(utc),
  title,
});

describe('onsetOf', () => {
  const onset = { at: '2026-11-25T13:45:00.000Z', estimated: false };

  it.each([
    ['bad', onset],
    ['good', onset],
    ['normal', undefined],
    ['unknown', undefined],
  ] as const)('a %s metric: %j', (verdict, expected) => {
    expect(onsetOf(metric({ verdict, onset }))).toEqual(expected);
  });
});

describe('linkEvents', () => {
  const onset = at('13:45'); // 14:45 Berlin
  const twoHours = 120 * minute;

  it.each([
    ['a deploy just before', [deploy('13:20', 'v2.41.0')], ['v2.41.0 25']],
    ['a deploy long before', [deploy('10:00', 'v2.40.0')], []],
    ['a deploy exactly deployLink before', [deploy('11:45', 'v2.40.9')], ['v2.40.9 120']],
    ['a deploy after the onset', [deploy('13:50', 'v2.42.0')], []],
    ['a deploy at the onset', [deploy('13:45', 'v2.41.1')], ['v2.41.1 0']],
    [
      'two deploys before, nearest first',
      [deploy('12:30', 'v2.40.5'), deploy('13:20', 'v2.41.0')],
      ['v2.41.0 25', 'v2.40.5 75'],
    ],
    ['an event with no usable time', [{ ...deploy('13:20', 'broken'), at: Number.NaN }], []],
  ] as const)('%s', (_name, events, expected) => {
    const linked = linkEvents(onset, events, twoHours);

    expect(linked.map((e) => `${e.title} ${e.minutesBefore}`)).toEqual(expected);
  });

  it('links alerts too, and says the kind', () => {
    const alert: SourceEvent = {
      stackId: 'checkout',
      kind: 'alerts',
      at: at('13:40'),
      title: 'p95 > 400 ms',
    };

    expect(linkEvents(onset, [alert], twoHours)).toEqual([
      { kind: 'alert', title: 'p95 > 400 ms', at: '2026-11-25T13:40:00.000Z', minutesBefore: 5 },
    ]);
  });
});

describe('withOnsetAndLinks: the reason', () => {
  const regression = metric({
    episodes: [{ start: '2026-11-25T13:45:00.000Z', end: '2026-11-26T08:00:00.000Z', peak: 0.9, usual: 0.3 }],
    onset: { at: '2026-11-25T13:45:00.000Z', estimated: false },
  });

  it('says since when and after which deploy', () => {
    const m = withOnsetAndLinks(regression, [deploy('13:20', 'checkout-api v2.41.0')], 120 * minute, tz);

    expect(m.reason).toBe(
      'p95 latency 414 ms vs usual 291 ms (+42%) since 14:45 — 25 min after deploy checkout-api v2.41.0 (14:20)',
    );
    expect(m.onset).toEqual({ at: '2026-11-25T13:45:00.000Z', estimated: false });
    expect(m.linkedEvents).toHaveLength(1);
  });

  it('says "since about" for an estimate, and a recovery after a deploy too', () => {
    const recovery = metric({
      id: 'error_rate',
      label: 'error rate',
      unit: '%',
      verdict: 'good',
      reason: 'error rate 0.41% vs usual 1.2% (−66%) — better',
      onset: { at: '2026-11-25T09:00:00.000Z', estimated: true },
    });

    const m = withOnsetAndLinks(recovery, [deploy('08:53', 'search-api v7.3.1')], 120 * minute, tz);

    expect(m.reason).toBe(
      'error rate 0.41% vs usual 1.2% (−66%) — better since about 10:00, 7 min after deploy search-api v7.3.1 (09:53)',
    );
  });

  it('does not repeat a clock time the reason already gives, and invents no link', () => {
    const episode = metric({
      rule: 'episode',
      reason: 'p95 latency 14:45–15:50 at 900 ms, 3.1× usual 291 ms',
      episodes: [
        { start: '2026-11-25T13:45:00.000Z', end: '2026-11-25T14:50:00.000Z', peak: 0.9, usual: 0.29 },
      ],
      onset: { at: '2026-11-25T13:45:00.000Z', estimated: false },
    });

    const m = withOnsetAndLinks(episode, [deploy('09:00', 'long ago')], 120 * minute, tz);

    expect(m.reason).toBe('p95 latency 14:45–15:50 at 900 ms, 3.1× usual 291 ms');
    expect(m.linkedEvents).toEqual([]);
  });

  it('leaves normal metrics as they are', () => {
    const normal = metric({ verdict: 'normal', onset: { at: '2026-11-25T13:45:00.000Z', estimated: false } });

    expect(withOnsetAndLinks(normal, [deploy('13:20', 'x')], 120 * minute, tz)).toBe(normal);
  });
});
