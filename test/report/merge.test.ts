/** mergeReports on plain objects: sources added up, summary counted again, stacks in config order. */
import { MergeError, mergeReports } from '../../src/report/merge';
import type { Report, SourceReport, StackReport, Verdict } from '../../src/report/types';

const stack = (id: string, verdict: Verdict): StackReport => ({
  id,
  name: id,
  verdict,
  reasons: [],
  metrics: [],
  links: {},
  events: {},
});

const source = (status: SourceReport['status'], requests: number, errors: string[] = []): SourceReport => ({
  id: 'dd',
  type: 'datadog',
  status,
  requests,
  retries: 1,
  errors,
});

const shard = (stacks: StackReport[], sources: SourceReport[], generatedAt: string): Report => ({
  schemaVersion: 1,
  title: 'Fleet',
  generatedAt,
  window: { start: '2026-11-25T08:00:00.000Z', end: '2026-11-26T08:00:00.000Z', timezone: 'Europe/Berlin' },
  baseline: { mode: 'daily', days: 7, windows: [] },
  summary: { good: 0, normal: 0, bad: 0, unknown: 0 },
  stacks,
  sources,
});

describe('mergeReports', () => {
  it("adds the shards' delivery sections up again from their stacks", () => {
    const shipped = (id: string, team: string, perDay: number[], followedByBad: number): StackReport => ({
      ...stack(id, 'normal'),
      team,
      delivery: {
        status: 'ok',
        perDay,
        total: perDay[0]! + perDay[1]!,
        followedByBad,
        deployLinkMinutes: 120,
      },
    });
    const a = { ...shard([shipped('x', 'pay', [1, 2], 1)], [source('ok', 1)], '2026-11-26T08:01:00.000Z') };
    const b = shard(
      [shipped('y', 'web', [0, 4], 0), stack('z', 'bad')],
      [source('ok', 1)],
      '2026-11-26T08:02:00.000Z',
    );
    // A shard's own section (its stacks only) is never taken as the fleet's.
    a.delivery = {
      days: [],
      fleet: { stacks: 1, unknownStacks: [], perDay: [1, 2], total: 3, followedByBad: 1 },
      teams: [],
    };

    const merged = mergeReports([
      { name: 'a', json: a },
      { name: 'b', json: b },
    ]);

    expect(merged.delivery!.fleet).toEqual({
      stacks: 2,
      unknownStacks: [],
      perDay: [1, 6],
      total: 7,
      followedByBad: 1,
      deployLinkMinutes: 120,
    });
    expect(merged.delivery!.teams.map((t) => [t.team, t.total])).toEqual([
      ['pay', 3],
      ['web', 4],
    ]);
  });

  it('adds requests and retries of the same source, keeps each error once, and says partial when one shard failed', () => {
    const merged = mergeReports([
      { name: 'a', json: shard([stack('x', 'bad')], [source('ok', 3)], '2026-11-26T08:01:00.000Z') },
      {
        name: 'b',
        json: shard([stack('y', 'unknown')], [source('failed', 2, ['403'])], '2026-11-26T08:03:00.000Z'),
      },
      {
        name: 'c',
        json: shard([stack('z', 'good')], [source('failed', 1, ['403'])], '2026-11-26T08:02:00.000Z'),
      },
    ]);

    expect(merged.sources).toEqual([{ ...source('partial', 6, ['403']), retries: 3 }]);
    expect(merged.summary).toEqual({ bad: 1, unknown: 1, good: 1, normal: 0 });
    expect(merged.generatedAt).toBe('2026-11-26T08:03:00.000Z');
  });

  it.each<[SourceReport['status'][], SourceReport['status']]>([
    [['ok', 'ok'], 'ok'],
    [['failed', 'failed'], 'failed'],
    [['ok', 'partial'], 'partial'],
  ])('source statuses %j merge to %s', (statuses, expected) => {
    const merged = mergeReports(
      statuses.map((status, i) => ({
        name: `s${i}`,
        json: shard([stack(`k${i}`, 'normal')], [source(status, 1)], '2026-11-26T08:00:00.000Z'),
      })),
    );

    expect(merged.sources[0]!.status).toBe(expected);
  });

  it('lists stacks in the given config order, unknown ids last in shard order', () => {
    const merged = mergeReports(
      [
        {
          name: 'a',
          json: shard([stack('c', 'normal'), stack('q', 'normal')], [], '2026-11-26T08:00:00.000Z'),
        },
        {
          name: 'b',
          json: shard([stack('b', 'normal'), stack('a', 'normal')], [], '2026-11-26T08:00:00.000Z'),
        },
      ],
      { order: ['a', 'b', 'c'] },
    );

    expect(merged.stacks.map((s) => s.id)).toEqual(['a', 'b', 'c', 'q']);
  });

  it('refuses shards with different baselines, naming the shard', () => {
    const other = {
      ...shard([], [], '2026-11-26T08:00:00.000Z'),
      baseline: { mode: 'weekly', days: 4, windows: [] },
    };

    expect(() =>
      mergeReports([
        { name: 'a', json: shard([], [], '2026-11-26T08:00:00.000Z') },
        { name: 'b', json: other },
      ]),
    ).toThrow(
      new MergeError('b', "baseline weekly × 4 differs from a's daily × 7: shards must share one config"),
    );
  });
});
