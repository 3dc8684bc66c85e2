/**
 * Property tests (fast-check) for the local parsers: whatever the input, the config loader throws only
 * ConfigError and the data file parsers only UsageError — with one-line, bounded messages that never
 * echo a long input whole. A crash, a TypeError or a hang on some input would fail here.
 */
import fc from 'fast-check';

import { parseConfig } from '../../src/config/load';
import { ConfigError, UsageError } from '../../src/errors';
import { parseCsv, parseEventsCsv, parseJson } from '../../src/sources/file/parse';

/** A message a person reads: no line longer than the quoted pieces allow, no control characters. */
function expectReadable(message: string) {
  expect(message.split('\n').every((line) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line))).toBe(true);
}

const yamlish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.stringMatching(/^[a-z:{}\[\]&*!|>'"#,\- \n0-9$]{0,200}$/),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      report: fc.dictionary(
        fc.constantFrom('title', 'window', 'at', 'timezone', 'baseline', 'x'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      sources: fc.array(
        fc.dictionary(fc.constantFrom('id', 'type', 'dir', 'url', 'token'), fc.jsonValue({ maxDepth: 1 })),
      ),
      stacks: fc.array(
        fc.dictionary(fc.constantFrom('id', 'metrics', 'name', 'links'), fc.jsonValue({ maxDepth: 2 })),
      ),
    })
    .map((v) => JSON.stringify(v)),
);

describe('property: the config loader throws only ConfigError', () => {
  it('for any text', () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          parseConfig(text, '/tmp/prop.yaml', { A: 'secret-value-123' });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          expect(error.message).toContain('/tmp/prop.yaml');
          expectReadable(error.message);
        }
      }),
      { numRuns: 150 },
    );
  });
});

const csvCell = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '2026-11-26T08:00:00Z',
    '1795680000',
    '2026-11-26 08:00:00',
    'NaN',
    'inf',
    '',
    '1e400',
    '-0',
  ),
  fc.double().map(String),
);
const csvText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc
    .array(fc.tuple(csvCell, csvCell), { maxLength: 20 })
    .map((rows) => `timestamp,value\n${rows.map((r) => r.join(',')).join('\n')}`),
  fc
    .string({ minLength: 500, maxLength: 3000 })
    .map((long) => `timestamp,value\n2026-11-26T08:00:00Z,${long}`),
);

describe('property: the data file parsers throw only UsageError', () => {
  it('CSV series and events, for any text', () => {
    fc.assert(
      fc.property(csvText, (text) => {
        for (const parse of [
          () => parseCsv(text, 'data/x.csv', 'UTC'),
          () => parseEventsCsv(text, 'data/x.csv', 'Europe/Berlin'),
        ]) {
          try {
            const out = parse();
            expect(Array.isArray(out)).toBe(true);
          } catch (error) {
            if (!(error instanceof UsageError)) throw error;
            expect(error.message.startsWith('data/x.csv')).toBe(true);
            expectReadable(error.message);
            // A quoted piece is at most 120 characters: a long line is never echoed whole.
            expect(error.message.length).toBeLessThan(300);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('JSON series, for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            parseJson(text, 'data/x.json');
          } catch (error) {
            if (!(error instanceof UsageError)) throw error;
            expect(error.message.startsWith('data/x.json')).toBe(true);
            expect(error.message.length).toBeLessThan(300);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
