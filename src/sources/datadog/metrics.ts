/**
 * Metric series: batches of queries to /api/v2/query/timeseries (or, where that endpoint is missing,
 * one query at a time to /api/v1/query), answers mapped back to members.
 */
import { inferStepMs } from '../../classify/step';
import { columnsOf, noColumns, sliceColumns, type Columns } from '../columns';
import type { QueryMember } from '../types';
import type { MetricUnit } from './query-plan';
import { withRollup } from './query-plan';
import { DatadogCallError, type DatadogSession } from './session';
import { v1QueryResponseSchema } from './schema';
import { TimeseriesReader, type TimeseriesAnswer } from './timeseries-reader';

/** What one unit produced for its members: columns over the fetch range (views, not copies). */
export interface UnitSeries {
  member: QueryMember;
  columns: Columns;
  stepMs: number;
}

export interface BatchOutcome {
  series: UnitSeries[];
  failures: { member: QueryMember; error: string }[];
}

export interface MetricFetchOptions {
  start: number;
  end: number;
  intervalMs: number;
}

/** One returned series: its tags (which member it is for), its readings and their spacing. */
interface Returned {
  tags: readonly string[] | null | undefined;
  columns: Columns;
  stepMs: number;
}

function tagValue(tags: readonly string[] | null | undefined, key: string): string | undefined {
  const prefix = `${key.toLowerCase()}:`;
  const tag = (tags ?? []).find((t) => t.toLowerCase().startsWith(prefix));
  return tag?.slice(prefix.length).toLowerCase();
}

/** Hand each returned series to the members it belongs to; members without one get no points. */
function assign(
  unit: MetricUnit,
  returned: readonly Returned[],
  o: MetricFetchOptions,
  out: BatchOutcome,
  describe: (member: QueryMember) => string,
): void {
  if (!unit.groupKey) {
    if (returned.length > 1) {
      for (const { member } of unit.targets) {
        out.failures.push({
          member,
          error: `${describe(member)} returned ${returned.length} series; a metric query must return one (drop its "by" clause)`,
        });
      }
      return;
    }
    const only = returned[0];
    for (const { member } of unit.targets)
      out.series.push({
        member,
        columns: only ? sliceColumns(only.columns, o.start, o.end) : noColumns,
        stepMs: only?.stepMs ?? o.intervalMs,
      });
    return;
  }
  const byValue = new Map<string, Returned>();
  for (const r of returned) {
    const value = tagValue(r.tags, unit.groupKey);
    if (value !== undefined) byValue.set(value, r);
  }
  for (const { member, tagValue: value } of unit.targets) {
    const r = value === undefined ? undefined : byValue.get(value);
    out.series.push({
      member,
      columns: r ? sliceColumns(r.columns, o.start, o.end) : noColumns,
      stepMs: r?.stepMs ?? o.intervalMs,
    });
  }
}

/** One v2 request for several units. Throws DatadogCallError for the whole request. */
export async function fetchBatchV2(
  session: DatadogSession,
  units: readonly MetricUnit[],
  o: MetricFetchOptions,
  describe: (member: QueryMember) => string,
): Promise<BatchOutcome> {
  const names = units.map((_, i) => `q${i}`);
  const body = {
    data: {
      type: 'timeseries_request' as const,
      attributes: {
        from: o.start,
        to: o.end,
        interval: o.intervalMs,
        queries: units.map((u, i) => ({ dataSource: 'metrics' as const, name: names[i], query: u.query })),
        formulas: names.map((formula) => ({ formula })),
      },
    },
  };
  let answer: TimeseriesAnswer | undefined;
  const response = await session.call(
    'query-timeseries',
    (apis) => apis.metricsV2.queryTimeseriesData({ body }),
    () => {
      if (!answer) throw new DatadogCallError('body', 'unreadable answer: no body');
      if (!answer.hasData) {
        throw answer.errors
          ? new DatadogCallError(
              'query',
              `Datadog could not run the query: ${session.safe(String(answer.errors))}`,
            )
          : new DatadogCallError('body', 'unreadable answer: no data');
      }
      return answer;
    },
    () => {
      const reader = new TimeseriesReader();
      return {
        write: (chunk) => reader.write(chunk),
        end: () => {
          answer = reader.end();
          // The client still deserialises something; an empty object costs nothing.
          return '{}';
        },
      };
    },
  );
  const { times } = response;
  // The answer carries no interval, only `times` (buckets where no series has data are left out):
  // the typical gap is the interval Datadog really used, which may be wider than the one asked for.
  const stepMs = inferStepMs(times, o.intervalMs);
  const perUnit = units.map(() => [] as Returned[]);
  response.series.forEach((s, i) => {
    perUnit[s.queryIndex]?.push({
      tags: s.groupTags,
      columns: { times, values: response.values[i]! },
      stepMs,
    });
  });
  const out: BatchOutcome = { series: [], failures: [] };
  units.forEach((unit, i) => assign(unit, perUnit[i] ?? [], o, out, describe));
  return out;
}

/** One v1 request for one unit; the interval becomes an explicit rollup in the query. */
export async function fetchUnitV1(
  session: DatadogSession,
  unit: MetricUnit,
  o: MetricFetchOptions,
  describe: (member: QueryMember) => string,
): Promise<BatchOutcome> {
  const query = withRollup(unit.query, o.intervalMs);
  const response = await session.call(
    'query-v1',
    (apis) =>
      apis.metricsV1.queryMetrics({ from: Math.floor(o.start / 1000), to: Math.ceil(o.end / 1000), query }),
    (result) => {
      const parsed = v1QueryResponseSchema.safeParse(result);
      if (!parsed.success) throw new DatadogCallError('body', 'unreadable answer: not a query response');
      if (parsed.data.status === 'error' || (parsed.data.error && !parsed.data.series?.length))
        throw new DatadogCallError(
          'query',
          `Datadog could not run the query: ${session.safe(parsed.data.error ?? 'error')}`,
        );
      return parsed.data;
    },
  );
  const returned = (response.series ?? []).map((s) => ({
    tags: s.tagSet ?? (s.scope ? s.scope.split(',') : []),
    columns: columnsOf(s.pointlist ?? []),
    stepMs: s.interval ? s.interval * 1000 : o.intervalMs,
  }));
  const out: BatchOutcome = { series: [], failures: [] };
  assign(unit, returned, o, out, describe);
  return out;
}
