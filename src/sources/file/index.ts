/**
 * The file source: recorded series from CSV or JSON files under `dir`. A metric's query is the file's
 * path relative to `dir`. It is a real source, used by the demo, by backtests on recorded data and
 * by tests; with `align: now` it shifts all its data so the newest point ends at the report time.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../../errors';
import type { FileSourceConfig } from '../../config/schema';
import type {
  MetricSource,
  Point,
  Series,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import { parseCsv, parseEventsCsv, parseJson } from './parse';

export function createFileSource(config: FileSourceConfig, ctx: SourceContext): MetricSource {
  const dir = resolve(ctx.configDir, config.dir);
  const cache = new Map<string, Point[]>();

  const locate = (query: string) => {
    const path = resolve(dir, query);
    const shown = join(config.dir, query);
    if (relative(dir, path).startsWith('..') || isAbsolute(relative(dir, path))) {
      throw new UsageError(`source "${config.id}": "${query}" is outside its dir ${config.dir}`);
    }
    try {
      return { text: readFileSync(path, 'utf8'), path, shown };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `source "${config.id}": cannot read ${shown} (${code === 'ENOENT' ? 'no such file' : code})`,
      );
    }
  };
  const read = (query: string): Point[] => {
    const cached = cache.get(query);
    if (cached) return cached;
    const { text, shown } = locate(query);
    const points = query.toLowerCase().endsWith('.json')
      ? parseJson(text, shown)
      : parseCsv(text, shown, config.timezone);
    cache.set(query, points);
    return points;
  };
  const readEvents = (query: string) => {
    const { text, shown } = locate(query);
    return parseEventsCsv(text, shown, config.timezone);
  };

  return {
    id: config.id,
    fetch(plan: SourcePlan): Promise<SourceResult> {
      // A bad file rejects the promise rather than throwing at the call.
      return Promise.resolve().then(() => readAll(plan));
    },
  };

  function readAll(plan: SourcePlan): SourceResult {
    const loaded = plan.groups.flatMap((g) => g.members.map((m) => ({ member: m, points: read(m.query) })));
    const events = plan.events.flatMap((q): SourceEvent[] =>
      readEvents(q.query).map(({ at, title }) => ({
        stackId: q.stackId,
        kind: q.kind,
        at,
        title: title || q.kind,
      })),
    );
    const shift =
      config.align === 'now'
        ? alignShift(
            loaded.map((l) => l.points),
            ctx.reportTime,
          )
        : 0;
    const series: Series[] = loaded.map(({ member, points }) => ({
      stackId: member.stackId,
      metricId: member.metricId,
      points: points.map(([t, v]): Point => [t + shift, v]).filter(([t]) => t >= plan.start && t < plan.end),
    }));
    const shiftedEvents = events
      .map((e) => ({ ...e, at: e.at + shift }))
      .filter((e) => e.at >= plan.eventsStart && e.at < plan.end);
    return {
      series,
      events: shiftedEvents,
      failures: [],
      health: {
        id: config.id,
        type: 'file',
        status: 'ok',
        requests: loaded.length,
        retries: 0,
        errors: [],
      },
    };
  }
}

/**
 * How far to move recorded data so that its newest point falls one step before the report time.
 * One shift for the whole source keeps series in step with each other (a metric that stopped
 * reporting still stops early).
 */
function alignShift(all: Point[][], reportTime: number): number {
  let newest = -Infinity;
  let step = Infinity;
  for (const points of all) {
    const last = points[points.length - 1];
    if (last && last[0] > newest) newest = last[0];
    if (points.length > 1)
      step = Math.min(step, points[points.length - 1]![0] - points[points.length - 2]![0]);
  }
  if (!Number.isFinite(newest)) return 0;
  return reportTime - newest - (Number.isFinite(step) ? step : 0);
}
