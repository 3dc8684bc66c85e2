/**
 * Fault suite, bad data files (issue 10, "partial stays partial"): each case breaks one data file of a
 * healthy workspace and runs the real report command. A bad file makes only the metrics that read it
 * unknown, with the file (and line) named; the other stacks are still judged; the exit code follows the
 * README; files are complete; nothing outside the source's folder is read; nothing is echoed whole.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  boundMs,
  csv,
  everything,
  expectCompleteFiles,
  readReport,
  runReport,
  unknownMetrics,
  workspace,
  type ConfigParts,
  type Workspace,
} from './local-harness';

const outside = mkdtempSync(join(tmpdir(), 'scrumops-outside-'));
writeFileSync(join(outside, 'secret.csv'), 'timestamp,value\nroot:x:0:0:outside-the-folder,1\n');
mkdirSync(join(outside, 'web'), { recursive: true });
writeFileSync(join(outside, 'web/cpu.csv'), csv());
afterAll(() => rmSync(outside, { recursive: true, force: true }));

interface DataCase {
  name: string;
  parts?: ConfigParts;
  arrange?: (ws: Workspace) => void;
  options?: { failOn?: 'bad' | 'unknown' };
  code: number;
  /** metric key → words its reason must hold. */
  unknown: Record<string, string>;
  /** Source status in the footer. */
  status: 'ok' | 'partial' | 'failed';
  /** Text that must not appear in any output (echoed data, escape codes …). */
  never?: (string | RegExp)[];
  /** Text that must appear on stderr. */
  stderr?: string;
}

const twoMbLine = 'A'.repeat(2 * 1024 * 1024);

const cases: DataCase[] = [
  {
    name: 'a missing file',
    arrange: (ws) => rmSync(ws.path('data/web/err.csv')),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv (no such file)' },
    status: 'partial',
  },
  {
    name: 'a folder where the file should be (unreadable)',
    arrange: (ws) => {
      rmSync(ws.path('data/web/err.csv'));
      mkdirSync(ws.path('data/web/err.csv'));
    },
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv (is a folder)' },
    status: 'partial',
  },
  {
    name: 'a wrong header',
    arrange: (ws) => ws.write('data/web/err.csv', 'time,val\n1,2\n'),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:1: expected a header "timestamp,value", found "time,val"' },
    status: 'partial',
  },
  {
    name: 'a timestamp that does not parse',
    arrange: (ws) => ws.write('data/web/err.csv', csv().replace(/\n[^\n]*/, '\nyesterday,1')),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:2: timestamp "yesterday" does not parse' },
    status: 'partial',
  },
  {
    name: 'a value that is not a number',
    arrange: (ws) =>
      ws.write(
        'data/web/err.csv',
        csv((i) => (i === 3 ? 'lots' : 1)),
      ),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:5: value "lots" is not a number' },
    status: 'partial',
  },
  {
    name: 'a 2 MB line without a newline',
    arrange: (ws) => ws.write('data/web/err.csv', `timestamp,value\n2026-11-25T09:00:00Z,${twoMbLine}`),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:2: value "AAAA' },
    status: 'partial',
    never: ['A'.repeat(121)],
  },
  {
    name: 'a row holding escape codes and a workflow command',
    arrange: (ws) =>
      ws.write(
        'data/web/err.csv',
        `timestamp,value\n2026-11-25T09:00:00Z,x\r::error title=pwned::boom\x1b[31m\n`,
      ),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:2: value "x ::error title=pwned::boom [31m"' },
    status: 'partial',
    never: ['\x1b', /^\s*::error/m],
  },
  {
    name: 'a bidi override in a bad row',
    arrange: (ws) =>
      ws.write('data/web/err.csv', `timestamp,value\n2026-11-25T09:00:00Z,evil\u202egnp.exe\n`),
    code: 0,
    unknown: { 'web.err': 'value "evilgnp.exe" is not a number' },
    status: 'partial',
    never: ['\u202e'],
  },
  {
    name: 'an empty file',
    arrange: (ws) => ws.write('data/web/err.csv', ''),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv:1: expected a header' },
    status: 'partial',
  },
  {
    name: 'a header and no rows',
    arrange: (ws) => ws.write('data/web/err.csv', 'timestamp,value\n'),
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv: holds no data rows' },
    status: 'partial',
  },
  {
    name: 'JSON that does not parse',
    parts: { errFile: 'web/err.json' },
    arrange: (ws) => ws.write('data/web/err.json', '[[1795680000000, 1]'),
    code: 0,
    unknown: { 'web.err': 'data/web/err.json: not valid JSON' },
    status: 'partial',
  },
  {
    name: 'JSON of the wrong shape',
    parts: { errFile: 'web/err.json' },
    arrange: (ws) => ws.write('data/web/err.json', '{"series": []}'),
    code: 0,
    unknown: { 'web.err': 'data/web/err.json: expected an array of [epochMs, value] pairs' },
    status: 'partial',
  },
  {
    name: 'a symlink to a file outside the folder',
    arrange: (ws) => {
      rmSync(ws.path('data/web/err.csv'));
      symlinkSync(join(outside, 'secret.csv'), ws.path('data/web/err.csv'));
    },
    code: 0,
    unknown: { 'web.err': 'data/web/err.csv is a link that leads outside its dir data' },
    status: 'partial',
    never: ['root:x', 'outside-the-folder'],
  },
  {
    name: 'a symlinked folder that leads outside',
    arrange: (ws) => {
      rmSync(ws.path('data/web'), { recursive: true });
      symlinkSync(join(outside, 'web'), ws.path('data/web'));
    },
    code: 0,
    unknown: {
      'web.cpu': 'data/web/cpu.csv is a link that leads outside',
      'web.err': 'source "rec"',
    },
    status: 'partial',
  },
  {
    name: 'a symlink that stays inside the folder (allowed)',
    arrange: (ws) => {
      rmSync(ws.path('data/web/err.csv'));
      symlinkSync(ws.path('data/api/cpu.csv'), ws.path('data/web/err.csv'));
    },
    code: 0,
    unknown: {},
    status: 'ok',
  },
  {
    name: 'a query that climbs out with ../',
    parts: { errFile: '../outside.csv' },
    arrange: (ws) => ws.write('outside.csv', csv()),
    code: 0,
    unknown: { 'web.err': '"../outside.csv" is outside its dir data' },
    status: 'partial',
  },
  {
    name: 'every file missing (the only source failed)',
    arrange: (ws) => rmSync(ws.path('data'), { recursive: true }),
    code: 1,
    unknown: {
      'web.cpu': 'data/web/cpu.csv (no such file)',
      'web.err': 'data/web/err.csv (no such file)',
      'api.cpu': 'data/api/cpu.csv (no such file)',
    },
    status: 'failed',
    stderr: 'every source failed',
  },
  {
    name: 'one row far in the future with align: now',
    parts: { fileSource: '    align: now' },
    arrange: (ws) => ws.write('data/web/err.csv', `${csv((i) => 1 + (i % 3) / 10)}2099-01-01T00:00:00Z,1\n`),
    code: 0,
    unknown: {},
    status: 'ok',
  },
  {
    name: 'one row far in the future with align: none',
    arrange: (ws) => ws.write('data/web/err.csv', `${csv((i) => 1 + (i % 3) / 10)}2099-01-01T00:00:00Z,1\n`),
    code: 0,
    unknown: {},
    status: 'ok',
  },
  {
    name: 'a missing events file (metrics still judged)',
    parts: { webExtra: '    events: { deployments: { source: rec, query: web/deploys.csv } }' },
    code: 0,
    unknown: {},
    status: 'partial',
    stderr: 'data/web/deploys.csv (no such file)',
  },
  {
    name: 'missing files with --fail-on unknown (exit 3, other stacks still judged)',
    arrange: (ws) => rmSync(ws.path('data/web'), { recursive: true }),
    options: { failOn: 'unknown' },
    code: 3,
    unknown: { 'web.cpu': 'no such file', 'web.err': 'no such file' },
    status: 'partial',
  },
  {
    name: 'readings outside the declared range (an error rate of −40%)',
    parts: { errExtra: ', min: 0, max: 100' },
    arrange: (ws) =>
      ws.write(
        'data/web/err.csv',
        csv((i) => (i >= 96 ? -40 : 1 + (i % 3) / 10)),
      ),
    code: 0,
    unknown: { 'web.err': '24 readings outside 0–100 left out as invalid' },
    status: 'ok',
  },
  {
    name: 'more points than report.maxPointsPerSeries',
    parts: { report: '  maxPointsPerSeries: 200' },
    // One point a minute over the 4 days fetched: 5,760 points, refused for this metric alone.
    arrange: (ws) => {
      const start = Date.parse('2026-11-22T09:00:00Z');
      const lines = Array.from({ length: 5760 }, (_, i) => `${(start + i * 60_000) / 1000},1`);
      ws.write('data/web/err.csv', `timestamp,value\n${lines.join('\n')}\n`);
    },
    code: 0,
    unknown: { 'web.err': '5760 points in one series, more than report.maxPointsPerSeries (200)' },
    status: 'ok',
  },
  {
    name: 'huge values (printed in scientific notation, never as long digit runs)',
    arrange: (ws) =>
      ws.write(
        'data/web/err.csv',
        csv((i) => (i >= 96 ? 1.5e300 : 1e299 + (i % 3) * 1e298)),
      ),
    code: 0,
    unknown: {},
    status: 'ok',
    // Before issue 10: "1,500,000,000,000,000,…" (hundreds of digits) in every rendered file.
    never: [/\d{1,3}(,\d{3}){5,}/],
  },
  {
    name: 'NaN and Infinity values (gaps, not numbers)',
    arrange: (ws) =>
      ws.write(
        'data/web/err.csv',
        csv((i) => (i % 10 === 0 ? 'NaN' : i % 10 === 1 ? 'inf' : 1)),
      ),
    code: 0,
    unknown: {},
    status: 'ok',
  },
];

describe('fault suite: bad data files', () => {
  let ws: Workspace | undefined;
  afterEach(() => ws?.cleanup());

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    ws = workspace(c.parts);
    c.arrange?.(ws);

    const result = await runReport(ws, c.options ?? {});

    expect(result.code).toBe(c.code);
    expect(result.ms).toBeLessThan(boundMs);
    expectCompleteFiles(ws.out);
    const report = readReport(ws.out);
    const unknown = unknownMetrics(report);
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(c.unknown).sort());
    for (const [key, words] of Object.entries(c.unknown)) expect(unknown[key]).toContain(words);
    // Stacks on healthy files are judged: api never depends on web's files.
    if (!('api.cpu' in c.unknown))
      expect(report.stacks.find((s) => s.id === 'api')!.verdict).not.toBe('unknown');
    expect(report.sources.find((s) => s.id === 'rec')!.status).toBe(c.status);
    if (c.stderr) expect(result.stderr).toContain(c.stderr);
    const all = everything(ws, result).join('\n');
    for (const text of c.never ?? []) {
      if (typeof text === 'string') expect(all).not.toContain(text);
      else expect(all).not.toMatch(text);
    }
  });
});
