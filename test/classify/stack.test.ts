import type { Verdict } from '../../src/classify/judgment';
import { stackVerdict, type WeighedVerdict } from '../../src/classify/stack';

/** A metric reduced to what the stack rule reads; `c` marks a critical metric, `wN` a weight. */
function metric(code: string): WeighedVerdict {
  const [verdict, ...flags] = code.split(':') as [Verdict, ...string[]];
  const weight = Number(flags.find((f) => f.startsWith('w'))?.slice(1) ?? 1);
  return { verdict, critical: flags.includes('c'), weight };
}

const metrics = (codes: string[]) => codes.map((c) => metric(c));

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
