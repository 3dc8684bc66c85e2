/**
 * Grafana data frames of every shape to series. The frames follow Grafana's data plane contract
 * (https://grafana.com/developers/dataplane/timeseries: wide, multi, long) and what the Prometheus
 * datasource sends for exemplars (`meta.custom.resultType: "exemplar"`), cut down to a few rows.
 */
import fc from 'fast-check';
import { FrameError, readFrames } from '../../../src/sources/grafana/frames';

const t0 = Date.UTC(2026, 10, 26, 6);
const min = 60_000;
const range = { start: t0, end: t0 + 60 * min };

const multiFrame = (service: string, values: number[]) => ({
  schema: {
    refId: 'A',
    meta: { type: 'timeseries-multi', typeVersion: [0, 1] },
    fields: [
      { name: 'Time', type: 'time', config: { interval: min } },
      { name: 'Value', type: 'number', labels: { service } },
    ],
  },
  data: { values: [values.map((_, i) => t0 + i * min), values] },
});

const longFrame = {
  schema: {
    refId: 'A',
    meta: { type: 'timeseries-long', typeVersion: [0, 1] },
    fields: [
      { name: 'time', type: 'time' },
      { name: 'service', type: 'string' },
      { name: 'p95', type: 'number' },
    ],
  },
  data: {
    values: [
      [t0, t0, t0 + min, t0 + min],
      ['checkout', 'cart', 'checkout', 'cart'],
      [0.2, 9, 0.3, 8],
    ],
  },
};

const exemplarFrame = {
  schema: {
    name: 'exemplar',
    refId: 'A',
    meta: { custom: { resultType: 'exemplar' } },
    fields: [
      { name: 'Time', type: 'time' },
      { name: 'Value', type: 'number' },
      { name: 'traceID', type: 'string' },
    ],
  },
  data: { values: [[t0 + 5000], [42], ['abc123']] },
};

describe('readFrames', () => {
  it('reads multi frames: one series per frame, labels kept', () => {
    const read = readFrames([multiFrame('checkout', [1, 2]), multiFrame('cart', [3, 4])], range);

    expect(read.series).toEqual([
      {
        labels: { service: 'checkout' },
        points: [
          [t0, 1],
          [t0 + min, 2],
        ],
        stepMs: min,
      },
      {
        labels: { service: 'cart' },
        points: [
          [t0, 3],
          [t0 + min, 4],
        ],
        stepMs: min,
      },
    ]);
  });

  it('reads a wide frame: one series per number field, each with its labels', () => {
    const wide = {
      schema: {
        meta: { type: 'timeseries-wide' },
        fields: [
          { name: 'Time', type: 'time' },
          { name: 'Value', type: 'number', labels: { service: 'checkout' } },
          { name: 'Value', type: 'number', labels: { service: 'cart' } },
        ],
      },
      data: { values: [[t0], [1], [2]] },
    };

    const read = readFrames([wide], range);

    expect(read.series.map((s) => [s.labels, s.points])).toEqual([
      [{ service: 'checkout' }, [[t0, 1]]],
      [{ service: 'cart' }, [[t0, 2]]],
    ]);
  });

  it('splits a long frame into one series per text value instead of averaging them', () => {
    const read = readFrames([longFrame], range);

    expect(read.series).toEqual([
      {
        labels: { service: 'checkout' },
        points: [
          [t0, 0.2],
          [t0 + min, 0.3],
        ],
      },
      {
        labels: { service: 'cart' },
        points: [
          [t0, 9],
          [t0 + min, 8],
        ],
      },
    ]);
  });

  it('skips exemplar frames and says so', () => {
    const read = readFrames([multiFrame('checkout', [1]), exemplarFrame], range);

    expect(read.series).toHaveLength(1);
    expect(read.skipped).toEqual(['frame 2 (exemplar): exemplars, not a series']);
  });

  it.each([
    ['numeric-wide', { type: 'numeric-wide' }],
    ['log-lines', { type: 'log-lines' }],
    ['heatmap-cells', { type: 'heatmap-cells' }],
  ])('skips a %s frame', (_name, meta) => {
    const frame = { ...multiFrame('checkout', [1]), schema: { ...multiFrame('checkout', [1]).schema, meta } };

    const read = readFrames([frame], range);

    expect(read.series).toEqual([]);
    expect(read.skipped[0]).toMatch(/not a time series/);
  });

  it('keeps NaN and Inf entities as gaps, and drops rows outside the range', () => {
    const frame = multiFrame('checkout', [1, 0, 3]);
    (frame.data as Record<string, unknown>).entities = [null, { NaN: [1] }];
    frame.data.values[0]![2] = range.end;

    expect(readFrames([frame], range).series[0]!.points).toEqual([
      [t0, 1],
      [t0 + min, null],
    ]);
  });

  it('refuses a frame with several rows at one time and no text column to tell them apart', () => {
    const ambiguous = {
      schema: {
        fields: [
          { name: 'time', type: 'time' },
          { name: 'v', type: 'number' },
        ],
      },
      data: {
        values: [
          [t0, t0],
          [1, 2],
        ],
      },
    };

    expect(() => readFrames([ambiguous], range)).toThrow(FrameError);
    expect(() => readFrames([ambiguous], range)).toThrow(/several rows at one time and no text column/);
  });

  it('refuses what is not a frame at all with a FrameError', () => {
    expect(() => readFrames([{ schema: { fields: 'nope' } }], range)).toThrow(FrameError);
  });

  it('throws nothing but FrameError, whatever the input (property)', () => {
    const field = fc.record(
      {
        name: fc.oneof(fc.string(), fc.constant('service')),
        type: fc.constantFrom('time', 'number', 'string', 'boolean', 'other', 7),
        labels: fc.option(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()))),
        config: fc.option(fc.record({ interval: fc.oneof(fc.integer(), fc.double(), fc.string()) })),
      },
      { requiredKeys: [] },
    );
    const cell = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
      fc.date().map(String),
    );
    const frame = fc.record(
      {
        schema: fc.record(
          {
            name: fc.oneof(fc.string(), fc.constant('exemplar')),
            meta: fc.option(
              fc.record(
                {
                  type: fc.oneof(fc.constantFrom('timeseries-long', 'table', 'numeric-wide'), fc.string()),
                  custom: fc.anything(),
                },
                { requiredKeys: [] },
              ),
            ),
            fields: fc.array(field, { maxLength: 5 }),
          },
          { requiredKeys: [] },
        ),
        data: fc.record(
          {
            values: fc.array(fc.option(fc.array(cell, { maxLength: 6 })), { maxLength: 5 }),
            entities: fc.option(fc.array(fc.option(fc.record({ NaN: fc.array(fc.integer()) })))),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    );

    fc.assert(
      fc.property(fc.array(fc.oneof(frame, fc.anything()), { maxLength: 4 }), (frames) => {
        try {
          const read = readFrames(frames, range);
          for (const s of read.series)
            for (const [at] of s.points) expect(at).toBeGreaterThanOrEqual(range.start);
        } catch (error) {
          if (!(error instanceof FrameError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});
