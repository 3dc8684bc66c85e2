import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { FileSourceConfig } from '../../../src/config/schema';
import { silentLogger } from '../../../src/logger';
import { createFileSource } from '../../../src/sources/file';
import { parseCsv, parseJson, parseTimestamp } from '../../../src/sources/file/parse';
import type { SourcePlan, SourceResult } from '../../../src/sources/types';

const reportTime = Date.parse('2026-11-26T08:00:00Z');
const day = 86_400_000;
const step = 5 * 60_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(relative: string, text: string): void {
  const path = join(dir, 'data', relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function source(over: Partial<FileSourceConfig> = {}) {
  const config: FileSourceConfig = {
    id: 'rec',
    type: 'file',
    dir: 'data',
    timezone: 'UTC',
    align: 'none',
    ...over,
  };
  return createFileSource(config, {
    configDir: dir,
    reportTime,
    logger: silentLogger,
    now: () => reportTime,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
  });
}

function plan(queries: string[], over: Partial<SourcePlan> = {}): SourcePlan {
  return {
    start: 0,
    end: Number.MAX_SAFE_INTEGER,
    groups: [
      {
        template: '{{q}}',
        members: queries.map((query, i) => ({ stackId: `s${i}`, metricId: 'm', query, vars: {} })),
      },
    ],
    eventsStart: 0,
    events: [],
    ...over,
  };
}

/** Fetch; a synchronous throw counts as a rejection here (see the dedicated test below). */
function fetch(
  queries: string[],
  over: Partial<FileSourceConfig> = {},
  planOver: Partial<SourcePlan> = {},
): Promise<SourceResult> {
  return Promise.resolve().then(() =>
    source(over).fetch(plan(queries, planOver), new AbortController().signal),
  );
}

/** The problem a bad file leaves: its metric fails alone, named in a failure and in the source's health. */
async function rejection(promise: Promise<SourceResult>): Promise<string> {
  const result = await promise;
  expect(result.failures).toHaveLength(1);
  expect(result.health.status).toBe('failed');
  expect(result.health.errors).toEqual([result.failures[0]!.error]);
  return result.failures[0]!.error;
}

/** A NAB-style CSV: `YYYY-MM-DD HH:MM:SS,value` rows every `stepMs` from `first` (UTC). */
function nabCsv(first: number, count: number, value: (i: number) => number, stepMs = step): string {
  const rows = Array.from({ length: count }, (_, i) => {
    const stamp = new Date(first + i * stepMs).toISOString().slice(0, 19).replace('T', ' ');
    return `${stamp},${value(i)}`;
  });
  return `timestamp,value\n${rows.join('\n')}\n`;
}

describe('parseTimestamp', () => {
  it.each([
    // [cell, zone for local stamps, expected UTC]
    ['2026-11-26T08:00:00Z', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T09:00:00+01:00', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T09:00:00.5+0100', 'UTC', '2026-11-26T08:00:00.500Z'],
    ['2026-11-26 08:00:00', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26 09:00:00', 'Europe/Berlin', '2026-11-26T08:00:00.000Z'],
    ['2026-07-01 09:00:00', 'Europe/Berlin', '2026-07-01T07:00:00.000Z'],
    ['2026-11-26 09:00:00', 'America/New_York', '2026-11-26T14:00:00.000Z'],
    ['2026-11-26 09:00', 'Europe/Berlin', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26T09:00:00', 'Europe/Berlin', '2026-11-26T08:00:00.000Z'],
    ['2026-11-26 08:00:00.250', 'UTC', '2026-11-26T08:00:00.250Z'],
    ['1795680000', 'UTC', '2026-11-26T08:00:00.000Z'],
    ['1795680000.5', 'UTC', '2026-11-26T08:00:00.500Z'],
    ['1795680000000', 'UTC', '2026-11-26T08:00:00.000Z'],
    [' 1795680000 ', 'UTC', '2026-11-26T08:00:00.000Z'],
  ])('%j in %s → %s', (cell, zone, expected) => {
    expect(new Date(parseTimestamp(cell, zone)!).toISOString()).toBe(expected);
  });

  it.each(['', 'yesterday', '26/11/2026 08:00', '2026-11-26T08:00:00 CET', '-5'])(
    '%j does not parse',
    (cell) => {
      expect(parseTimestamp(cell, 'UTC')).toBeUndefined();
    },
  );

  it.each(['2026-02-30 10:00:00', '2026-13-01 00:00:00', '2026-11-26 25:00:00'])(
    'rejects %j, which is not on the calendar',
    (cell) => {
      // Regression guard, fixed in review (src/sources/file/parse.ts parseTimestamp, the local-stamp branch): new TZDate(...) rolls
      // impossible fields over (30 Feb → 2 Mar, month 13 → January) instead of failing, so a corrupt row
      // lands on the wrong day silently. Compare the TZDate's fields back as parseReportTime does.
      expect(parseTimestamp(cell, 'UTC')).toBeUndefined();
    },
  );
});

describe('parseCsv and parseJson', () => {
  it.each([
    ['ISO instants', 'timestamp,value\n2026-11-26T08:00:00Z,1\n2026-11-26T08:05:00Z,2\n'],
    ['NAB stamps', 'timestamp,value\n2026-11-26 08:00:00,1\n2026-11-26 08:05:00,2\n'],
    ['epoch seconds', 'timestamp,value\n1795680000,1\n1795680300,2\n'],
    ['epoch ms', 'timestamp,value\n1795680000000,1\n1795680300000,2\n'],
    ['CRLF and a BOM', '\uFEFFtimestamp,value\r\n2026-11-26T08:00:00Z,1\r\n2026-11-26T08:05:00Z,2\r\n'],
    ['other columns first', 'host,value,timestamp\na,1,2026-11-26T08:00:00Z\nb,2,2026-11-26T08:05:00Z\n'],
    ['rows out of order', 'timestamp,value\n2026-11-26T08:05:00Z,2\n2026-11-26T08:00:00Z,1\n'],
    ['blank lines', 'timestamp,value\n\n2026-11-26T08:00:00Z,1\n   \n2026-11-26T08:05:00Z,2\n\n'],
  ])('reads %s', (_what, text) => {
    expect(parseCsv(text, 'x.csv', 'UTC')).toEqual([
      [reportTime, 1],
      [reportTime + step, 2],
    ]);
  });

  it.each([
    ['', null],
    ['NaN', null],
    ['null', null],
    ['inf', null],
    ['-1.5e3', -1500],
    ['0', 0],
  ])('reads the value %j as %p', (cell, expected) => {
    expect(parseCsv(`timestamp,value\n1795680000,${cell}\n`, 'x.csv', 'UTC')).toEqual([
      [reportTime, expected],
    ]);
  });

  it('reads JSON [[epochMs, value], …] with nulls, sorted', () => {
    const text = JSON.stringify([
      [reportTime + step, null],
      [reportTime, 0.5],
    ]);

    expect(parseJson(text, 'x.json')).toEqual([
      [reportTime, 0.5],
      [reportTime + step, null],
    ]);
  });
});

describe('file source: reading files', () => {
  it('reads CSV and JSON series by their path under dir', async () => {
    write('api/latency.csv', 'timestamp,value\n2026-11-26 09:00:00,0.25\n2026-11-26 09:05:00,0.5\n');
    write('api/errors.json', JSON.stringify([[reportTime, 1]]));

    const result = await fetch(['api/latency.csv', 'api/errors.json'], { timezone: 'Europe/Berlin' });

    expect(result.series).toEqual([
      {
        stackId: 's0',
        metricId: 'm',
        points: [
          [reportTime, 0.25],
          [reportTime + step, 0.5],
        ],
      },
      { stackId: 's1', metricId: 'm', points: [[reportTime, 1]] },
    ]);
    expect(result.health).toEqual({
      id: 'rec',
      type: 'file',
      status: 'ok',
      requests: 2,
      retries: 0,
      errors: [],
    });
    expect(result.failures).toEqual([]);
  });

  it('keeps only points inside the plan range', async () => {
    write(
      'a.csv',
      nabCsv(reportTime - 2 * day, 3, (i) => i, day),
    );

    const result = await fetch(['a.csv'], {}, { start: reportTime - day, end: reportTime });

    expect(result.series[0]!.points).toEqual([[reportTime - day, 1]]);
  });

  it.each([
    [
      'a value that is not a number',
      'timestamp,value\n1795680000,1\n1795680300,2\n1795680600,abc\n',
      'data/bad.csv:4: value "abc" is not a number',
    ],
    [
      'a timestamp that does not parse',
      'timestamp,value\n1795680000,1\nlast tuesday,2\n',
      'data/bad.csv:3: timestamp "last tuesday" does not parse',
    ],
    [
      'a missing header',
      '1795680000,1\n',
      'data/bad.csv:1: expected a header "timestamp,value", found "1795680000,1"',
    ],
    ['a header and no rows', 'timestamp,value\n', 'data/bad.csv: holds no data rows'],
    ['an empty file', '', 'data/bad.csv:1: expected a header'],
  ])('rejects %s with the file and line', async (_what, text, message) => {
    write('bad.csv', text);

    await expect(rejection(fetch(['bad.csv']))).resolves.toContain(message);
  });

  it.each([
    ['invalid JSON', '[[1, 2]', 'data/bad.json: not valid JSON'],
    ['an object', '{"points": []}', 'data/bad.json: expected an array of [epochMs, value] pairs'],
    [
      'a bad item',
      '[[1795680000000, 1], ["2026-11-26", 2]]',
      'data/bad.json: item [1] is not an [epochMs, value] pair',
    ],
    ['an empty array', '[]', 'data/bad.json: holds no data rows'],
  ])('rejects JSON with %s', async (_what, text, message) => {
    write('bad.json', text);

    await expect(rejection(fetch(['bad.json']))).resolves.toContain(message);
  });

  it.each([
    ['a missing file', 'nope.csv', 'source "rec": cannot read data/nope.csv (no such file)'],
    ['a path outside dir', '../secret.csv', 'source "rec": "../secret.csv" is outside its dir data'],
    ['an absolute path', '/etc/passwd', 'is outside its dir data'],
  ])('rejects %s naming the source', async (_what, query, message) => {
    await expect(rejection(fetch([query]))).resolves.toContain(message);
  });

  it('reports a bad file as a failure of its metric only, never by throwing', async () => {
    // Regression guard (issue 10): one unreadable data file aborted the whole report (exit 2, no files)
    // even for stacks on healthy sources.
    write('bad.csv', 'timestamp,value\n1795680000,abc\n');
    write('good.csv', 'timestamp,value\n1795680000,1\n');

    const result = await source().fetch(plan(['bad.csv', 'good.csv']), new AbortController().signal);

    expect(result.failures).toEqual([
      { stackId: 's0', metricId: 'm', error: 'source "rec": data/bad.csv:2: value "abc" is not a number' },
    ]);
    expect(result.series.map((s) => s.stackId)).toEqual(['s1']);
    expect(result.health.status).toBe('partial');
  });

  it('reads events with titles that hold commas', async () => {
    write('a.csv', 'timestamp,value\n1795680000,1\n');
    write(
      'deploys.csv',
      'timestamp,title\n2026-11-26T07:00:00Z,api v2.1.0: faster, smaller\n2026-11-26T07:30:00Z,\n',
    );

    const result = await source().fetch(
      plan(['a.csv'], { events: [{ stackId: 's0', kind: 'deployments', query: 'deploys.csv' }] }),
      new AbortController().signal,
    );

    expect(result.events).toEqual([
      {
        stackId: 's0',
        kind: 'deployments',
        at: reportTime - 3_600_000,
        title: 'api v2.1.0: faster, smaller',
      },
      { stackId: 's0', kind: 'deployments', at: reportTime - 1_800_000, title: 'deployments' },
    ]);
  });
});

describe('file source: align now', () => {
  const recordedEnd = Date.parse('2026-01-15T08:00:00Z');

  it('shifts the data so its newest point lands one step before the report time', async () => {
    write(
      'a.csv',
      nabCsv(recordedEnd - day, 288, (i) => i),
    );

    const result = await fetch(['a.csv'], { align: 'now' }, { start: reportTime - 8 * day, end: reportTime });

    const points = result.series[0]!.points;
    expect(points).toHaveLength(288);
    expect(points[points.length - 1]).toEqual([reportTime - step, 287]);
    expect(points[0]).toEqual([reportTime - day, 0]);
  });

  it('moves every series and event by the same amount, so one that stopped early still stops early', async () => {
    write(
      'a.csv',
      nabCsv(recordedEnd - day, 288, () => 1),
    );
    write(
      'b.csv',
      nabCsv(recordedEnd - day, 276, () => 2),
    ); // stops an hour before a.csv
    write('deploys.csv', 'timestamp,title\n2026-01-15T06:00:00Z,v1\n');

    const result = await source({ align: 'now' }).fetch(
      plan(['a.csv', 'b.csv'], {
        start: reportTime - 8 * day,
        end: reportTime,
        eventsStart: reportTime - 14 * day,
        events: [{ stackId: 's0', kind: 'deployments', query: 'deploys.csv' }],
      }),
      new AbortController().signal,
    );

    const lastOf = (i: number) => result.series[i]!.points.at(-1)![0];
    expect(new Date(lastOf(0)).toISOString()).toBe('2026-11-26T07:55:00.000Z');
    expect(new Date(lastOf(1)).toISOString()).toBe('2026-11-26T06:55:00.000Z');
    expect(result.events.map((e) => new Date(e.at).toISOString())).toEqual(['2026-11-26T06:00:00.000Z']);
  });

  it('leaves data where it is with align: none', async () => {
    write(
      'a.csv',
      nabCsv(recordedEnd - day, 288, () => 1),
    );

    const result = await fetch(
      ['a.csv'],
      { align: 'none' },
      { start: reportTime - 8 * day, end: reportTime },
    );

    expect(result.series[0]!.points).toEqual([]);
  });
});
