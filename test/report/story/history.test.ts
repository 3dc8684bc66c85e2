/**
 * Day over day with no state: streak rules, and the history a report carries equals, day by day, what
 * a report run at that day says on the same data (the file source, so the data is exactly the same).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { earlierReportTimes } from '../../../src/plan/windows';
import { streakOf } from '../../../src/report/story/history';
import { streakCounts, streakWords } from '../../../src/report/story/wording';
import type { StackReport, Verdict } from '../../../src/report/types';

const v = (letters: string): Verdict[] =>
  [...letters].map((c) => ({ b: 'bad', g: 'good', n: 'normal', u: 'unknown' })[c] as Verdict);

describe('streakOf (oldest first, today last)', () => {
  it.each([
    ['nnnnnnb', { kind: 'new', days: 1 }, 'new today'],
    ['nnnnbbb', { kind: 'bad', days: 3 }, 'bad for 3 days'],
    ['nnnnnbn', { kind: 'recovered', days: 0 }, 'recovered: bad yesterday'],
    ['nnnnnbg', { kind: 'recovered', days: 0 }, 'recovered: bad yesterday'],
    ['nbnbnbn', { kind: 'flapping', days: 3 }, 'flapping: bad on 3 of the last 7 days'],
    ['bnbnnnb', { kind: 'flapping', days: 3 }, 'flapping: bad on 3 of the last 7 days'],
    ['nnnnubb', { kind: 'bad', days: 2, unknownBefore: true }, 'bad for 2 days (no verdict the day before)'],
    ['nnnnnub', { kind: 'bad', days: 1, unknownBefore: true }, 'bad today; the day before has no verdict'],
  ] as const)('%s → %j', (letters, streak, words) => {
    const got = streakOf(v(letters));

    expect(got).toEqual(streak);
    expect(streakWords(got!)).toBe(words);
  });

  it.each([
    ['nnnnnnn', 'normal all week'],
    ['nnnnnbu', 'bad yesterday, no verdict today: not a recovery'],
    ['nnnbbbn'.slice(0, 1), 'a single day'],
    ['bbbnnnn', 'three bad days in a row, long ago'],
    ['bnbnnnnnn', 'bad twice in the last 7'],
  ])('%s: no streak (%s)', (letters) => {
    expect(streakOf(v(letters))).toBeUndefined();
  });

  it('counts streaks for the summary line', () => {
    const stack = (verdict: Verdict, letters: string) =>
      ({ verdict, streak: streakOf(v(letters)) }) as StackReport;

    expect(
      streakCounts([
        stack('bad', 'nnnnnnb'),
        stack('bad', 'nnnnbbb'),
        stack('normal', 'nnnnnbn'),
        stack('normal', 'nnnnnnn'),
      ]),
    ).toEqual({ bad: '1 new, 1 third day', recovered: '1 recovered' });
  });
});

describe('history from one fetch equals a report run on each day (file source)', () => {
  let dir: string;
  const hour = 3_600_000;
  const day = 24 * hour;
  const end = Date.parse('2026-11-26T08:00:00.000Z'); // 09:00 Berlin
  const start = end - 22 * day;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-history-'));
    mkdirSync(join(dir, 'data'));
    // Hourly latency with a daily rhythm; stack a has one-off bad afternoons 2 and 5 days back and a
    // regression today; stack b has no data at all on the report day 8 days back.
    const rows = (stack: 'a' | 'b') => {
      const out: string[] = ['timestamp,value'];
      for (let t = start; t < end; t += hour) {
        const daysBack = Math.floor((end - 1 - t) / day);
        const h = new Date(t).getUTCHours();
        let value = 100 + 20 * Math.sin((h / 24) * 2 * Math.PI) + ((t / hour) % 3);
        if (stack === 'a' && daysBack === 0 && h >= 13) value *= 2.5;
        if (stack === 'a' && daysBack === 2 && h >= 12 && h < 16) value *= 3;
        if (stack === 'a' && daysBack === 5 && h >= 18 && h < 22) value *= 3;
        if (stack === 'b' && daysBack === 8) continue;
        out.push(`${new Date(t).toISOString()},${value.toFixed(2)}`);
      }
      return `${out.join('\n')}\n`;
    };
    writeFileSync(join(dir, 'data/a.csv'), rows('a'));
    writeFileSync(join(dir, 'data/b.csv'), rows('b'));
    writeFileSync(join(dir, 'data/a-deploys.csv'), 'timestamp,title\n2026-11-25T14:30:00Z,api v9\n');
    writeFileSync(
      join(dir, 'config.yaml'),
      `report: { title: T, timezone: Europe/Berlin, at: "09:00", window: 24h, baseline: { mode: daily, days: 7 } }
sources: [{ id: f, type: file, dir: ./data, align: none }]
metrics:
  latency: { source: f, query: "{{s}}.csv", unit: ms, direction: lower, critical: true }
stacks:
  - { id: a, vars: { s: a }, metrics: [latency], events: { deployments: { source: f, query: a-deploys.csv } } }
  - { id: b, vars: { s: b }, metrics: [latency] }
delivery: {}
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const deps = { logger: silentLogger, now: () => end, sleep: async () => {}, random: () => 0.5 };

  it('gives each earlier day the verdict `report --at` gives that day', async () => {
    const config = loadConfig(join(dir, 'config.yaml'), {});

    const [today] = (await generateReports(config, { times: [end], historyDays: 14, generatedAt: end }, deps))
      .reports;
    const days = earlierReportTimes(end, 13, config.report);
    const separately = await Promise.all(
      days.map(
        async (t) => (await generateReports(config, { times: [t], generatedAt: end }, deps)).reports[0]!,
      ),
    );

    for (const id of ['a', 'b']) {
      const stack = today!.stacks.find((s) => s.id === id)!;
      expect(stack.history!.map((d) => d.at)).toEqual([...days, end].map((t) => new Date(t).toISOString()));
      expect(stack.history!.map((d) => d.verdict)).toEqual([
        ...separately.map((r) => r.stacks.find((s) => s.id === id)!.verdict),
        stack.verdict,
      ]);
    }
    const a = today!.stacks.find((s) => s.id === 'a')!;
    const b = today!.stacks.find((s) => s.id === 'b')!;
    expect(a.history!.map((d) => d.verdict[0]).join('')).toBe('nnnnnnnnbnnbnb');
    expect(a.streak).toEqual({ kind: 'flapping', days: 3 });
    expect(b.history![5]!.verdict).toBe('unknown');
    expect(b.streak).toBeUndefined();
    expect(a.metrics[0]!.linkedEvents?.map((e) => e.title)).toEqual(['api v9']);
  });
});
