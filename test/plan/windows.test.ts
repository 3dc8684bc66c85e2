import type { ReportSettings, Thresholds } from '../../src/config/types';
import { UsageError } from '../../src/errors';
import {
  latestReportTime,
  parseReportTime,
  parseWindowLength,
  reportTimesBetween,
  reportWindows,
} from '../../src/plan/windows';
import { defaultThresholds } from '../../src/config/load';

// Windows do not read thresholds; any complete set will do.
const thresholds: Thresholds = defaultThresholds;

type SettingsOverrides = Partial<Omit<ReportSettings, 'baseline'>> & {
  baseline?: Partial<ReportSettings['baseline']>;
};

function settings(over: SettingsOverrides = {}): ReportSettings {
  const { baseline, ...rest } = over;
  return {
    title: 'Test',
    timezone: 'Europe/Berlin',
    at: '09:00',
    window: '24h',
    thresholds,
    ...rest,
    baseline: { mode: 'daily', days: 7, exclude: [], ...baseline },
  };
}

const utc = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const hours = (w: { start: number; end: number }) => (w.end - w.start) / 3_600_000;

describe('reportWindows: the current window, on the wall clock', () => {
  it.each([
    // [zone, report time (UTC), window start (UTC), hours]
    ['Europe/Berlin', '2026-11-26T08:00:00Z', '2026-11-25T08:00:00Z', 24],
    ['Europe/Berlin', '2026-07-15T07:00:00Z', '2026-07-14T07:00:00Z', 24],
    ['Europe/Berlin', '2026-03-29T07:00:00Z', '2026-03-28T08:00:00Z', 23], // spring forward at 02:00
    ['Europe/Berlin', '2026-03-30T07:00:00Z', '2026-03-29T07:00:00Z', 24],
    ['Europe/Berlin', '2026-10-25T08:00:00Z', '2026-10-24T07:00:00Z', 25], // fall back at 03:00
    ['America/New_York', '2026-03-08T13:00:00Z', '2026-03-07T14:00:00Z', 23],
    ['America/New_York', '2026-11-01T14:00:00Z', '2026-10-31T13:00:00Z', 25],
    ['UTC', '2026-03-29T09:00:00Z', '2026-03-28T09:00:00Z', 24],
  ])('%s, ending %s: starts %s (%i h)', (timezone, end, start, length) => {
    const { current } = reportWindows(utc(end), settings({ timezone }));

    expect(iso(current.start)).toBe(new Date(start).toISOString());
    expect(iso(current.end)).toBe(new Date(end).toISOString());
    expect(hours(current)).toBe(length);
  });

  it.each([
    ['12h', '2026-11-25T20:00:00.000Z'],
    ['90m', '2026-11-26T06:30:00.000Z'],
    ['2d', '2026-11-24T08:00:00.000Z'],
  ])('a %s window ends at the report time and starts at %s', (window, start) => {
    const { current } = reportWindows(utc('2026-11-26T08:00:00Z'), settings({ window }));

    expect(iso(current.start)).toBe(start);
    expect(iso(current.end)).toBe('2026-11-26T08:00:00.000Z');
  });
});

describe('reportWindows: baselines', () => {
  it('daily: the same local hours on each of the previous N days, newest first', () => {
    const { baselines } = reportWindows(utc('2026-11-26T08:00:00Z'), settings({ baseline: { days: 3 } }));

    expect(baselines.map((w) => [iso(w.start), iso(w.end)])).toEqual([
      ['2026-11-24T08:00:00.000Z', '2026-11-25T08:00:00.000Z'],
      ['2026-11-23T08:00:00.000Z', '2026-11-24T08:00:00.000Z'],
      ['2026-11-22T08:00:00.000Z', '2026-11-23T08:00:00.000Z'],
    ]);
  });

  it.each([
    // [zone, report time, baseline ends (UTC, newest first), baseline hours]
    [
      'Europe/Berlin',
      '2026-03-31T07:00:00Z',
      ['2026-03-30T07:00:00Z', '2026-03-29T07:00:00Z', '2026-03-28T08:00:00Z', '2026-03-27T08:00:00Z'],
      [24, 23, 24, 24],
    ],
    [
      'Europe/Berlin',
      '2026-10-27T08:00:00Z',
      ['2026-10-26T08:00:00Z', '2026-10-25T08:00:00Z', '2026-10-24T07:00:00Z', '2026-10-23T07:00:00Z'],
      [24, 25, 24, 24],
    ],
    [
      'America/New_York',
      '2026-03-10T13:00:00Z',
      ['2026-03-09T13:00:00Z', '2026-03-08T13:00:00Z', '2026-03-07T14:00:00Z', '2026-03-06T14:00:00Z'],
      [24, 23, 24, 24],
    ],
    [
      'America/New_York',
      '2026-11-03T14:00:00Z',
      ['2026-11-02T14:00:00Z', '2026-11-01T14:00:00Z', '2026-10-31T13:00:00Z', '2026-10-30T13:00:00Z'],
      [24, 25, 24, 24],
    ],
  ])('daily across a DST change (%s, report %s) keeps 09:00 local', (timezone, end, ends, lengths) => {
    const { baselines } = reportWindows(utc(end), settings({ timezone, baseline: { days: 4 } }));

    expect(baselines.map((w) => iso(w.end))).toEqual(ends.map((e) => new Date(e).toISOString()));
    expect(baselines.map(hours)).toEqual(lengths);
  });

  it.each([
    ['2026-11-26T08:00:00Z', ['2026-11-19T08:00:00Z', '2026-11-12T08:00:00Z', '2026-11-05T08:00:00Z']],
    // Two of the three weeks back are still in summer time: 09:00 CEST is 07:00 UTC.
    ['2026-11-05T08:00:00Z', ['2026-10-29T08:00:00Z', '2026-10-22T07:00:00Z', '2026-10-15T07:00:00Z']],
  ])('weekly: the same weekday and hours for the previous N weeks (report %s)', (end, ends) => {
    const { baselines } = reportWindows(utc(end), settings({ baseline: { mode: 'weekly', days: 3 } }));

    expect(baselines.map((w) => iso(w.end))).toEqual(ends.map((e) => new Date(e).toISOString()));
    expect(baselines.map(hours)).toEqual([24, 24, 24]);
  });

  it.each([
    // A 09:00→09:00 window touches two local days; a window touching an excluded day is skipped
    // and replaced by the next older one, so there are still N windows.
    [[], ['11-25', '11-24', '11-23', '11-22']],
    [['2026-11-23'], ['11-25', '11-22', '11-21', '11-20']],
    [['2026-11-25'], ['11-24', '11-23', '11-22', '11-21']], // only the window ending on the excluded day's morning goes
    [
      ['2026-11-22', '2026-11-24'],
      ['11-21', '11-20', '11-19', '11-18'],
    ],
    [['2026-12-24'], ['11-25', '11-24', '11-23', '11-22']], // outside the look-back: no effect
  ])('exclude %j: baseline windows end on %j', (exclude, endDays) => {
    const { baselines } = reportWindows(
      utc('2026-11-26T08:00:00Z'),
      settings({ baseline: { days: 4, exclude } }),
    );

    expect(baselines.map((w) => iso(w.end))).toEqual(endDays.map((d) => `2026-${d}T08:00:00.000Z`));
  });

  it('weekly with an excluded day replaces that week by the one before the last', () => {
    const { baselines } = reportWindows(
      utc('2026-11-26T08:00:00Z'),
      settings({ baseline: { mode: 'weekly', days: 2, exclude: ['2026-11-19'] } }),
    );

    expect(baselines.map((w) => iso(w.end))).toEqual([
      '2026-11-12T08:00:00.000Z',
      '2026-11-05T08:00:00.000Z',
    ]);
  });
});

describe('latestReportTime: the latest report.at not after now', () => {
  it.each([
    // [zone, at, now, expected]
    ['Europe/Berlin', '09:00', '2026-11-26T07:59:59Z', '2026-11-25T08:00:00Z'], // 08:59 local: yesterday's
    ['Europe/Berlin', '09:00', '2026-11-26T08:00:00Z', '2026-11-26T08:00:00Z'], // exactly on time
    ['Europe/Berlin', '09:00', '2026-11-26T08:17:00Z', '2026-11-26T08:00:00Z'], // a late run
    ['Europe/Berlin', '09:00', '2026-11-26T22:30:00Z', '2026-11-26T08:00:00Z'], // 23:30 local
    ['Europe/Berlin', '09:00', '2026-11-26T23:30:00Z', '2026-11-26T08:00:00Z'], // 00:30 local, next day
    ['Europe/Berlin', '09:00', '2026-03-29T07:30:00Z', '2026-03-29T07:00:00Z'], // DST day, CEST
    ['Europe/Berlin', '09:00', '2026-03-29T06:30:00Z', '2026-03-28T08:00:00Z'], // DST day, before at
    ['America/New_York', '09:00', '2026-11-26T03:00:00Z', '2026-11-25T14:00:00Z'], // 22:00 local the day before
    ['UTC', '06:45', '2026-11-26T06:45:00Z', '2026-11-26T06:45:00Z'],
  ])('%s at %s, now %s → %s', (timezone, at, now, expected) => {
    expect(iso(latestReportTime(settings({ timezone, at }), utc(now)))).toBe(
      new Date(expected).toISOString(),
    );
  });

  it('gives the same window to a run on time and a run three hours late', () => {
    const s = settings();

    const onTime = reportWindows(latestReportTime(s, utc('2026-11-26T08:03:00Z')), s);
    const late = reportWindows(latestReportTime(s, utc('2026-11-26T11:03:00Z')), s);

    expect(late).toEqual(onTime);
  });
});

describe('parseReportTime', () => {
  it.each([
    ['2026-11-26', 'Europe/Berlin', '2026-11-26T08:00:00.000Z'],
    ['2026-07-01', 'Europe/Berlin', '2026-07-01T07:00:00.000Z'],
    ['2026-03-29', 'Europe/Berlin', '2026-03-29T07:00:00.000Z'],
    ['2026-11-26', 'America/New_York', '2026-11-26T14:00:00.000Z'],
    ['2026-11-26T08:00:00Z', 'Europe/Berlin', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T08:00Z', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T09:00:00+01:00', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T03:00:00.250-0500', 'UTC', '2026-11-26T08:00:00.250Z'],
  ])('%j in %s → %s', (input, timezone, expected) => {
    expect(iso(parseReportTime(input, settings({ timezone })))).toBe(expected);
  });

  it.each([
    'yesterday',
    '',
    '2026-02-30',
    '2026-13-01',
    '26-11-2026',
    '2026-11-26T08:00:00', // no offset: ambiguous
    '2026-11-26 08:00',
    '1764144000',
  ])('rejects %j with a UsageError naming the input', (input) => {
    expect(() => parseReportTime(input, settings())).toThrow(UsageError);
    expect(() => parseReportTime(input, settings())).toThrow(`--at "${input}"`);
  });
});

describe('reportTimesBetween', () => {
  it.each([
    // [from, to, every, expected] — both ends included; days step on the wall clock
    [
      '2026-11-24T08:00:00Z',
      '2026-11-26T08:00:00Z',
      '1d',
      ['2026-11-24T08', '2026-11-25T08', '2026-11-26T08'],
    ],
    ['2026-11-26T08:00:00Z', '2026-11-26T08:00:00Z', '1d', ['2026-11-26T08']],
    ['2026-11-24T08:00:00Z', '2026-11-26T07:59:59Z', '1d', ['2026-11-24T08', '2026-11-25T08']],
    [
      '2026-11-26T08:00:00Z',
      '2026-11-26T20:00:00Z',
      '6h',
      ['2026-11-26T08', '2026-11-26T14', '2026-11-26T20'],
    ],
    [
      '2026-03-27T08:00:00Z',
      '2026-03-31T07:00:00Z',
      '1d',
      ['2026-03-27T08', '2026-03-28T08', '2026-03-29T07', '2026-03-30T07', '2026-03-31T07'],
    ],
    [
      '2026-11-05T08:00:00Z',
      '2026-11-26T08:00:00Z',
      '7d',
      ['2026-11-05T08', '2026-11-12T08', '2026-11-19T08', '2026-11-26T08'],
    ],
  ])('%s → %s every %s', (from, to, every, expected) => {
    const times = reportTimesBetween(utc(from), utc(to), every, settings());

    expect(times.map((t) => iso(t).slice(0, 13))).toEqual(expected);
  });

  it('is empty when the end is before the start', () => {
    expect(
      reportTimesBetween(utc('2026-11-26T08:00:00Z'), utc('2026-11-25T08:00:00Z'), '1d', settings()),
    ).toEqual([]);
  });

  it.each(['0d', '0m', 'daily', '1w'])('rejects --every %j', (every) => {
    expect(() => reportTimesBetween(0, 1, every, settings())).toThrow(UsageError);
  });
});

describe('parseWindowLength', () => {
  it.each([
    ['24h', { days: 1, minutes: 0 }],
    ['1d', { days: 1, minutes: 0 }],
    ['36h', { days: 1, minutes: 720 }],
    ['90m', { days: 0, minutes: 90 }],
    ['7d', { days: 7, minutes: 0 }],
  ])('%s → %j', (text, expected) => {
    expect(parseWindowLength(text)).toEqual(expected);
  });
});
