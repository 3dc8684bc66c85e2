import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { TimeseriesReader, type TimeseriesAnswer } from '../../../src/sources/datadog/timeseries-reader';

/** The reader fed `text` in pieces cut at `cuts` (byte offsets). */
function read(text: string, cuts: readonly number[] = []): TimeseriesAnswer {
  const bytes = Buffer.from(text);
  const reader = new TimeseriesReader();
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    reader.write(bytes.subarray(from, cut));
    from = cut;
  }
  reader.write(bytes.subarray(from));
  return reader.end();
}

/** What the answer says, read the plain way: JSON.parse, then the same columns. */
function expected(answer: {
  data?: {
    attributes: {
      series?: { group_tags?: string[]; query_index: number }[];
      times?: number[];
      values?: (number | null)[][];
    };
  };
  errors?: string;
}) {
  const a = answer.data?.attributes;
  const times = a?.times ?? [];
  return {
    hasData: !!a,
    times: Array.from(times),
    series: (a?.series ?? []).map((s) => ({ groupTags: s.group_tags, queryIndex: s.query_index })),
    values: (a?.series ?? []).map((_, i) => times.map((_, j) => a?.values?.[i]?.[j] ?? NaN)),
  };
}

const plain = (r: TimeseriesAnswer) => ({
  hasData: r.hasData,
  times: Array.from(r.times),
  series: r.series,
  values: r.values.map((v) => Array.from(v)),
});

// A recorded answer of the real API (source: ../shared/data/datadog-recorded/v2-query-timeseries.json).
const recorded = readFileSync(join(__dirname, 'fixtures/v2-query-timeseries.json'), 'utf8');

describe('TimeseriesReader', () => {
  it('reads a recorded answer exactly as JSON.parse does, however the bytes are cut', () => {
    const whole = plain(read(recorded));
    expect(whole).toEqual(expected(JSON.parse(recorded) as Parameters<typeof expected>[0]));
    expect(whole.times.length).toBeGreaterThan(0);
    const length = Buffer.byteLength(recorded);
    for (let cut = 0; cut <= length; cut += 7) expect(plain(read(recorded, [cut]))).toEqual(whole);
  });

  it('gives the same columns as JSON.parse for any answer cut into any pieces', () => {
    const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null));
    const answer = fc
      .record({
        times: fc.array(fc.integer({ min: 0, max: 2 ** 41 }), { maxLength: 12 }),
        series: fc.array(
          fc.record({
            group_tags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }),
            query_index: fc.nat(3),
            unit: fc.constant(null),
          }),
          { maxLength: 4 },
        ),
        rows: fc.array(fc.array(value, { maxLength: 14 }), { maxLength: 5 }),
        meta: fc.jsonValue({ maxDepth: 2 }),
      })
      .map(({ times, series, rows, meta }) => ({
        meta,
        data: {
          id: '0',
          type: 'timeseries_response',
          attributes: { series, times, values: rows.slice(0, series.length) },
        },
      }));
    fc.assert(
      fc.property(answer, fc.array(fc.nat(4000), { maxLength: 6 }), fc.boolean(), (a, cuts, spaced) => {
        const text = JSON.stringify(a, null, spaced ? 1 : undefined);
        const length = Buffer.byteLength(text);
        const got = plain(
          read(
            text,
            cuts.map((c) => c % (length + 1)),
          ),
        );
        // As text: NaN (a gap) and null read alike, and so do -0 and 0.
        expect(JSON.stringify(got)).toEqual(JSON.stringify(expected(a)));
      }),
      { numRuns: 300 },
    );
  });

  it('tells an answer without data and its errors', () => {
    expect(read('{"errors":"Error parsing query: bad"}')).toMatchObject({
      hasData: false,
      errors: 'Error parsing query: bad',
    });
    expect(read('{"data":null}')).toMatchObject({ hasData: false });
  });

  it.each([
    ['cut short', '{"data":{"attributes":{"times":[1,2'],
    ['not JSON', '<html>busy</html>'],
    ['a trailing comma', '{"data":{"attributes":{"times":[1,2,]}}}'],
    ['a missing comma', '{"data":{"attributes":{"times":[1 2]}}}'],
    ['more after the answer', '{"data":null} {}'],
    [
      'a string in a row',
      '{"data":{"attributes":{"series":[{"query_index":0}],"times":[1],"values":[["1"]]}}}',
    ],
    [
      'a row that is no array',
      '{"data":{"attributes":{"series":[{"query_index":0}],"times":[1],"values":[5]}}}',
    ],
    ['times that are no array', '{"data":{"attributes":{"times":5}}}'],
    ['a bad number', '{"data":{"attributes":{"times":[1-2]}}}'],
    ['an answer that is an array', '[]'],
    ['a series without its query', '{"data":{"attributes":{"series":[{}],"times":[],"values":[]}}}'],
  ])('refuses %s with one readable line', (_, text) => {
    expect(() => read(text)).toThrow(/^unreadable answer/);
  });
});
