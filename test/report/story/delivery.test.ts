/**
 * How we ship: deployments per day over the fortnight and the change-failure estimate ("deploys
 * followed by a bad stretch within deployLink"), per stack, team and fleet; then the same on the file
 * source through the whole pipeline, with a stack without a deployment source and one whose search failed.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/logger';
import { generateReports } from '../../../src/pipeline';
import { deliveryLine, deliveryRows } from '../../../src/render/common';
import { renderMarkdown } from '../../../src/render/markdown';
import { renderText } from '../../../src/render/text';
import { slackPayload } from '../../../src/deliver/slack';
import { deliverySection, stackDelivery } from '../../../src/report/story/delivery';
import { withOnsetAndLinks } from '../../../src/report/story/links';
import type { MetricReport, StackReport, Verdict } from '../../../src/report/types';
import type { SourceEvent } from '../../../src/sources/types';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const twoHours = 2 * hour;
/** Report times 09:00 Berlin (08:00 UTC); day i of 3 ends at `end - (2 - i) days`. */
const end = Date.parse('2026-11-26T08:00:00.000Z');
const tz = 'Europe/Berlin';
const dayEnd = (i: number) => end - (2 - i) * day;
/** A clock time on day i (UTC "HH:MM" inside that day's window, which runs 08:00 → 08:00 UTC). */
const on = (i: number, hhmm: string) => dayEnd(i) - day + Date.parse(`1970-01-01T${hhmm}:00Z`) - 8 * hour;

function metric(verdict: Verdict, onset?: number): MetricReport {
  return {
    id: 'latency_p95',
    label: 'p95 latency',
    unit: 's',
    direction: 'lower',
    aggregation: 'mean',
    critical: true,
    weight: 1,
    source: 'f',
    verdict,
    current: 0.4,
    baseline: 0.3,
    change: 0.33,
    score: 6,
    coverage: 1,
    baselineWindows: 7,
    rule: verdict === 'normal' ? 'normal' : 'baseline',
    episodes:
      onset === undefined
        ? []
        : [
            {
              start: new Date(onset).toISOString(),
              end: new Date(onset + hour).toISOString(),
              peak: 0.9,
              usual: 0.3,
            },
          ],
    ...(onset === undefined ? {} : { onset: { at: new Date(onset).toISOString(), estimated: false } }),
    reason: 'p95 latency 400 ms vs usual 300 ms',
  } as MetricReport;
}

interface DaySpec {
  /** The metric's verdict that day and, for bad or good, the clock time of its onset. */
  verdict: Verdict;
  onset?: string;
}

/**
 * Three days of one stack as the pipeline builds them: each day's window counts its own deploys, and
 * its metric is linked to the deploys before its onset by the real linking rule.
 */
function days(
  specs: DaySpec[],
  deploys: SourceEvent[],
  options: { failed?: boolean; noSource?: boolean; deployLinkMs?: number } = {},
) {
  return specs.map((spec, i) => {
    const window = { start: dayEnd(i) - day, end: dayEnd(i) };
    const known = deploys.filter((d) => d.at < window.end);
    const onset = spec.onset === undefined ? undefined : on(i, spec.onset);
    const m = withOnsetAndLinks(metric(spec.verdict, onset), known, options.deployLinkMs ?? twoHours, tz);
    const stack: StackReport = {
      id: 'checkout',
      name: 'Checkout',
      team: 'payments',
      verdict: spec.verdict,
      reasons: [],
      metrics: [m],
      links: {},
      events: options.noSource
        ? {}
        : {
            deployments: options.failed
              ? { status: 'failed', error: 'HTTP 500', window: 0, last14d: 0, items: [] }
              : {
                  status: 'ok',
                  window: known.filter((d) => d.at >= window.start).length,
                  last14d: known.length,
                  items: [],
                },
          },
    };
    return {
      stack,
      window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
    };
  });
}

const deploy = (i: number, hhmm: string, title = `v${i}.${hhmm}`): SourceEvent => ({
  stackId: 'checkout',
  kind: 'deployments',
  at: on(i, hhmm),
  title,
});

const quiet: DaySpec = { verdict: 'normal' };

describe('stackDelivery: deploys followed by a bad stretch within deployLink', () => {
  it.each([
    [
      'a deploy just before a bad stretch',
      [deploy(2, '13:20')],
      { verdict: 'bad', onset: '13:45' },
      [0, 0, 1],
      1,
    ],
    [
      'a deploy long before it (3 h > 2 h)',
      [deploy(2, '10:45')],
      { verdict: 'bad', onset: '13:45' },
      [0, 0, 1],
      0,
    ],
    ['a deploy after the onset', [deploy(2, '14:00')], { verdict: 'bad', onset: '13:45' }, [0, 0, 1], 0],
    [
      'two deploys, both within deployLink before the onset (each was followed by it)',
      [deploy(2, '12:30'), deploy(2, '13:20')],
      { verdict: 'bad', onset: '13:45' },
      [0, 0, 2],
      2,
    ],
    [
      'two deploys, one before and one after the onset',
      [deploy(2, '13:20'), deploy(2, '15:00')],
      { verdict: 'bad', onset: '13:45' },
      [0, 0, 2],
      1,
    ],
    [
      'a deploy before a recovery (a good metric) is no failure',
      [deploy(2, '13:20')],
      { verdict: 'good', onset: '13:45' },
      [0, 0, 1],
      0,
    ],
    ['a deploy on a quiet day', [deploy(2, '13:20')], quiet, [0, 0, 1], 0],
  ] as const)('%s', (_case, deploys, today, perDay, followed) => {
    const got = stackDelivery(days([quiet, quiet, today], [...deploys]), twoHours);

    expect(got).toEqual({
      status: 'ok',
      perDay,
      total: perDay.reduce<number>((a, b) => a + b, 0),
      followedByBad: followed,
      deployLinkMinutes: 120,
    });
  });

  it('counts a deploy on an earlier day that preceded that day’s bad stretch, once', () => {
    // Day 0: deploy at 23:30, bad from 00:30 of day 1 (crossing into the next window), day 1 bad too.
    const deploys = [deploy(0, '23:30', 'v1'), deploy(1, '15:00', 'v2')];
    const specs: DaySpec[] = [quiet, { verdict: 'bad', onset: '00:30' }, { verdict: 'bad', onset: '00:30' }];

    const got = stackDelivery(days(specs, deploys), twoHours);

    expect(got).toMatchObject({ perDay: [1, 1, 0], total: 2, followedByBad: 1 });
  });

  it('follows the stack’s own deployLink', () => {
    const got = stackDelivery(
      days([quiet, quiet, { verdict: 'bad', onset: '13:45' }], [deploy(2, '10:45')], {
        deployLinkMs: 4 * hour,
      }),
      4 * hour,
    );

    expect(got).toMatchObject({ followedByBad: 1, deployLinkMinutes: 240 });
  });

  it('leaves out a stack with no deployment source (not counted as zero)', () => {
    expect(stackDelivery(days([quiet, quiet, quiet], [], { noSource: true }), twoHours)).toBeUndefined();
  });

  it('says unknown when the deployment search failed, never 0', () => {
    const got = stackDelivery(
      days([quiet, quiet, { verdict: 'bad', onset: '13:45' }], [], { failed: true }),
      twoHours,
    );

    expect(got).toEqual({ status: 'failed', perDay: [], total: 0, followedByBad: 0, deployLinkMinutes: 120 });
  });

  it('marks a day whose report is missing as unknown (null), not 0', () => {
    const three = days([quiet, quiet, quiet], [deploy(2, '13:20')]);

    const got = stackDelivery([{ ...three[0]!, stack: undefined }, three[1]!, three[2]!], twoHours);

    expect(got).toMatchObject({ perDay: [null, 0, 1], total: 1 });
  });
});

describe('deliverySection: per team and for the fleet', () => {
  const stack = (id: string, team: string | undefined, delivery: StackReport['delivery']): StackReport =>
    ({
      id,
      name: id,
      ...(team ? { team } : {}),
      delivery,
      history: [
        { at: 'd1', verdict: 'normal' },
        { at: 'd2', verdict: 'normal' },
      ],
    }) as StackReport;
  const ok = (perDay: number[], followedByBad: number, deployLinkMinutes = 120) => ({
    status: 'ok' as const,
    perDay,
    total: perDay.reduce((a, b) => a + b, 0),
    followedByBad,
    deployLinkMinutes,
  });
  const failed = {
    status: 'failed' as const,
    perDay: [],
    total: 0,
    followedByBad: 0,
    deployLinkMinutes: 120,
  };

  it('adds up counted stacks, leaves out stacks without a source, names failed ones', () => {
    const section = deliverySection({
      stacks: [
        stack('checkout', 'payments', ok([2, 3], 1)),
        stack('ledger', 'payments', ok([0, 4], 0)),
        stack('search', 'discovery', failed),
        stack('static', 'discovery', undefined),
        stack('lonely', undefined, ok([1, 0], 1)),
      ],
    })!;

    expect(section.days).toEqual(['d1', 'd2']);
    expect(section.fleet).toEqual({
      stacks: 3,
      unknownStacks: ['search'],
      perDay: [3, 7],
      total: 10,
      followedByBad: 2,
      deployLinkMinutes: 120,
    });
    expect(section.teams).toEqual([
      { team: 'discovery', stacks: 0, unknownStacks: ['search'], perDay: [0, 0], total: 0, followedByBad: 0 },
      {
        team: 'payments',
        stacks: 2,
        unknownStacks: [],
        perDay: [2, 7],
        total: 9,
        followedByBad: 1,
        deployLinkMinutes: 120,
      },
    ]);
    expect(deliveryLine(section.fleet, 14)).toBe(
      '10 deploys in 14 days (3 stacks) · deploys followed by a bad stretch within 2 h: 2 of 10 · partial: deployment search failed for 1 stack (search), not counted',
    );
    expect(deliveryLine(section.teams[0]!, 14)).toBe(
      'deploys: unknown — deployment search failed for 1 stack (search)',
    );
    expect(deliveryRows(section).map((r) => r.name)).toEqual(['all teams', 'discovery', 'payments']);
  });

  it("says each stack's deployLink when they differ", () => {
    const section = deliverySection({
      stacks: [stack('a', 't', ok([1, 0], 0, 120)), stack('b', 't', ok([0, 1], 1, 30))],
    })!;

    expect(section.fleet.deployLinkMinutes).toBeUndefined();
    expect(deliveryLine(section.fleet, 2)).toContain("within each stack's deployLink: 1 of 2");
    // One team holding every stack: one row, not the same numbers twice.
    expect(deliveryRows(section).map((r) => r.name)).toEqual(['t']);
  });

  it('is absent when no stack has a deployment source', () => {
    expect(deliverySection({ stacks: [stack('a', 't', undefined)] })).toBeUndefined();
  });
});

describe('the fortnight on the file source, through the pipeline', () => {
  let dir: string;
  const start = end - 22 * day;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scrumops-delivery-'));
    mkdirSync(join(dir, 'data'));
    // Hourly latency with a daily rhythm; 3 times usual from 12:00 to 16:00 UTC two days back.
    // The same for c, but with no data at all yesterday and the bad stretch today.
    const series = (badDaysBack: number, missingDaysBack?: number) => {
      const rows: string[] = ['timestamp,value'];
      for (let t = start; t < end; t += hour) {
        const daysBack = Math.floor((end - 1 - t) / day);
        const h = new Date(t).getUTCHours();
        if (daysBack === missingDaysBack) continue;
        let value = 100 + 20 * Math.sin((h / 24) * 2 * Math.PI) + ((t / hour) % 3);
        if (daysBack === badDaysBack && h >= 12 && h < 16) value *= 3;
        rows.push(`${new Date(t).toISOString()},${value.toFixed(2)}`);
      }
      return `${rows.join('\n')}\n`;
    };
    writeFileSync(join(dir, 'data/latency.csv'), series(2));
    writeFileSync(join(dir, 'data/latency-c.csv'), series(0, 1));
    // b has alerts but no deployment source: its alert is linked, yet b is no part of the delivery counts.
    writeFileSync(join(dir, 'data/b-alerts.csv'), 'timestamp,title\n2026-11-23T11:50:00Z,disk 90%\n');
    // 25 min before the bad stretch (linked), one long before it, one 5 days back, one today, one in
    // the future (after the report time: never counted, never linked).
    writeFileSync(
      join(dir, 'data/a-deploys.csv'),
      'timestamp,title\n2026-11-21T10:00:00Z,api v7\n2026-11-23T06:00:00Z,api v8\n2026-11-23T11:35:00Z,api v9\n2026-11-25T15:00:00Z,api v10\n2026-11-27T10:00:00Z,api v11 (future)\n',
    );
    // A deployment row without a time: the whole search is unknown, with the file and line named.
    writeFileSync(join(dir, 'data/c-deploys.csv'), 'timestamp,title\n2026-11-24T10:00:00Z,web v1\n,web v2\n');
    writeFileSync(
      join(dir, 'config.yaml'),
      `report: { title: T, timezone: Europe/Berlin, at: "09:00", window: 24h, baseline: { mode: daily, days: 7 } }
sources: [{ id: f, type: file, dir: ./data, align: none }]
metrics:
  latency: { source: f, query: latency.csv, unit: ms, direction: lower, critical: true }
  latency-c: { source: f, query: latency-c.csv, unit: ms, direction: lower, critical: true }
stacks:
  - { id: a, team: payments, metrics: [latency], events: { deployments: { source: f, query: a-deploys.csv } } }
  - { id: b, team: payments, metrics: [latency], events: { alerts: { source: f, query: b-alerts.csv } } }
  - { id: c, team: web, metrics: [latency-c], events: { deployments: { source: f, query: c-deploys.csv } } }
delivery: {}
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts 4 deploys over 14 days, 1 followed by the bad stretch; b left out; c unknown, named', async () => {
    const config = loadConfig(join(dir, 'config.yaml'), {});
    const deps = { logger: silentLogger, now: () => end, sleep: async () => {}, random: () => 0.5 };

    const [report] = (
      await generateReports(config, { times: [end], historyDays: 14, generatedAt: end }, deps)
    ).reports;

    const a = report!.stacks.find((s) => s.id === 'a')!;
    expect(a.history!.map((d) => d.verdict).slice(-3)).toEqual(['bad', 'normal', 'normal']);
    expect(a.delivery).toEqual({
      status: 'ok',
      perDay: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1],
      total: 4,
      followedByBad: 1,
      deployLinkMinutes: 120,
    });
    // The deploy after the report time is neither counted nor linked to anything.
    expect(JSON.stringify(report)).not.toContain('v11');
    const b = report!.stacks.find((s) => s.id === 'b')!;
    expect(b.delivery).toBeUndefined();
    expect(b.events.deployments).toBeUndefined();
    expect(report!.delivery!.teams.find((t) => t.team === 'payments')).toMatchObject({ stacks: 1, total: 4 });
    const c = report!.stacks.find((s) => s.id === 'c')!;
    // A day whose data is missing is unknown, and today's streak says so instead of calling it new.
    expect(c.history!.map((d) => d.verdict).slice(-3)).toEqual(['normal', 'unknown', 'bad']);
    expect(c.streak).toEqual({ kind: 'bad', days: 1, unknownBefore: true });
    expect(renderMarkdown(report!)).toContain('bad today; the day before has no verdict');
    expect(c.delivery?.status).toBe('failed');
    expect(c.events.deployments).toMatchObject({ status: 'failed' });
    expect(c.events.deployments!.error).toMatch(/c-deploys\.csv:3: timestamp "" does not parse/);
    expect(report!.delivery!.fleet).toMatchObject({
      stacks: 1,
      unknownStacks: ['c'],
      total: 4,
      followedByBad: 1,
    });

    const md = renderMarkdown(report!);
    expect(md).toContain('### 🚀 How we ship — last 14 days');
    expect(md).toContain(
      '4 deploys in 14 days (1 stack) · deploys followed by a bad stretch within 2 h: 1 of 4 · partial: deployment search failed for 1 stack (c), not counted',
    );
    expect(md).toContain('**web** deploys: unknown — deployment search failed for 1 stack (c)');
    expect(renderText(report!)).toContain('payments: ·········███·█ 4 deploys in 14 days (1 stack)');
    const slack = JSON.stringify(slackPayload(report!));
    expect(slack).toContain(
      ':rocket: How we ship: 4 deploys in 14 days (1 stack) · deploys followed by a bad stretch within 2 h: 1 of 4 · partial',
    );
  });
});
