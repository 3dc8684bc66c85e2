/**
 * The file source: recorded series from CSV or JSON files under `dir`. A metric's query is the file's
 * path relative to `dir`. It is a real source, used by the demo, by backtests on recorded data and
 * by tests; with `align: now` it shifts all its data so the newest point ends at the report time.
 *
 * Partial failure stays partial: a missing, unreadable or malformed file makes only the metrics that
 * read it unknown, with the file (and line) named; the source is then `partial`, or `failed` when no
 * file could be read. A file never leads outside `dir`: real paths are compared, so a symlink to
 * /etc/passwd is refused without reading it.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../../errors';
import type { FileSourceConfig } from '../../config/schema';
import { safeText } from '../../report/redact';
import type {
  EventFailure,
  MetricSource,
  Point,
  QueryFailure,
  Series,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import { parseCsv, parseEventsCsv, parseJson } from './parse';

/** Larger data files are refused before they are read: recorded series are small. */
export const maxDataFileBytes = 256 * 1024 * 1024;

/** Where a query leads under the source's folder, or why it may not be read. Never reads the file. */
export function locateDataFile(
  config: Pick<FileSourceConfig, 'id' | 'dir'>,
  configDir: string,
  query: string,
): { path: string; shown: string } {
  const dir = resolve(configDir, config.dir);
  const path = resolve(dir, query);
  const shown = safeText(join(config.dir, query), [], 200);
  const inside = (base: string, target: string) => {
    const rel = relative(base, target);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  };
  if (!inside(dir, path)) {
    throw new UsageError(
      `source "${config.id}": "${safeText(query, [], 120)}" is outside its dir ${config.dir}`,
    );
  }
  let realDir: string;
  let realPath: string;
  try {
    realDir = realpathSync(dir);
    realPath = realpathSync(path);
  } catch (error) {
    throw new UsageError(`source "${config.id}": cannot read ${shown} (${reason(error)})`);
  }
  // A symlink (of the file or of a folder on the way) that leads out of dir is refused unread.
  if (!inside(realDir, realPath)) {
    throw new UsageError(
      `source "${config.id}": ${shown} is a link that leads outside its dir ${config.dir}`,
    );
  }
  return { path: realPath, shown };
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'ELOOP') return 'too many levels of links';
  return code ?? safeText((error as Error).message, [], 120);
}

function readDataFile(config: FileSourceConfig, configDir: string, query: string) {
  const { path, shown } = locateDataFile(config, configDir, query);
  try {
    const size = statSync(path).size;
    if (size > maxDataFileBytes) {
      throw new UsageError(
        `source "${config.id}": ${shown} is ${Math.round(size / 1048576)} MB, more than the ${maxDataFileBytes / 1048576} MB a data file may hold`,
      );
    }
    return { text: readFileSync(path, 'utf8'), shown };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`source "${config.id}": cannot read ${shown} (${reason(error)})`);
  }
}

/** Points of one series file; throws UsageError naming the file (and line). */
export function readSeriesFile(config: FileSourceConfig, configDir: string, query: string): Point[] {
  const { text, shown } = readDataFile(config, configDir, query);
  const points = query.toLowerCase().endsWith('.json')
    ? parseJson(text, shown)
    : parseCsv(text, shown, config.timezone);
  return points;
}

/** Events of one events file; throws UsageError naming the file (and line). */
export function readEventsFile(config: FileSourceConfig, configDir: string, query: string) {
  const { text, shown } = readDataFile(config, configDir, query);
  return parseEventsCsv(text, shown, config.timezone);
}

/** The message of a per-file problem, with the source named once. */
function fileProblem(config: FileSourceConfig, error: unknown): string {
  if (!(error instanceof UsageError)) throw error;
  const message = error.message.startsWith('source "')
    ? error.message
    : `source "${config.id}": ${error.message}`;
  return safeText(message, [], 400);
}

export function createFileSource(config: FileSourceConfig, ctx: SourceContext): MetricSource {
  return {
    id: config.id,
    fetch(plan: SourcePlan): Promise<SourceResult> {
      // A bad file rejects the promise rather than throwing at the call.
      return Promise.resolve().then(() => readAll(plan));
    },
  };

  function readAll(plan: SourcePlan): SourceResult {
    const cache = new Map<string, { points: Point[] } | { error: string }>();
    const read = (query: string) => {
      let entry = cache.get(query);
      if (!entry) {
        try {
          entry = { points: readSeriesFile(config, ctx.configDir, query) };
        } catch (error) {
          entry = { error: fileProblem(config, error) };
        }
        cache.set(query, entry);
      }
      return entry;
    };
    const errors = new Set<string>();
    const failures: QueryFailure[] = [];
    const loaded: { member: SourcePlan['groups'][number]['members'][number]; points: Point[] }[] = [];
    for (const member of plan.groups.flatMap((g) => g.members)) {
      const entry = read(member.query);
      if ('error' in entry) {
        failures.push({ stackId: member.stackId, metricId: member.metricId, error: entry.error });
        errors.add(entry.error);
      } else loaded.push({ member, points: entry.points });
    }
    const events: SourceEvent[] = [];
    let eventFilesFailed = 0;
    const eventFailures: EventFailure[] = [];
    for (const q of plan.events) {
      try {
        for (const { at, title } of readEventsFile(config, ctx.configDir, q.query))
          events.push({ stackId: q.stackId, kind: q.kind, at, title: title || q.kind });
      } catch (error) {
        eventFilesFailed++;
        const problem = fileProblem(config, error);
        errors.add(problem);
        // The stack's count is unknown, not 0: the report says "deployments: unknown (search failed)".
        eventFailures.push({ stackId: q.stackId, kind: q.kind, error: problem });
      }
    }

    const shift =
      config.align === 'now'
        ? alignShift(
            loaded.map((l) => l.points),
            ctx.reportTime,
            ctx.now(),
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
    const asked = plan.groups.reduce((n, g) => n + g.members.length, 0) + plan.events.length;
    const failed = failures.length + eventFilesFailed;
    return {
      series,
      events: shiftedEvents,
      failures,
      eventFailures,
      health: {
        id: config.id,
        type: 'file',
        status: failed === 0 ? 'ok' : failed >= asked ? 'failed' : 'partial',
        requests: plan.groups.reduce((n, g) => n + g.members.length, 0),
        retries: 0,
        errors: [...errors],
      },
    };
  }
}

/**
 * How far to move recorded data so that its newest point falls one step before the report time.
 * One shift for the whole source keeps series in step with each other (a metric that stopped
 * reporting still stops early). Rows dated after the wall clock are left out of the newest-point
 * search: one mistyped future row must not push every series out of the report's range.
 */
function alignShift(all: Point[][], reportTime: number, now: number): number {
  let newest = -Infinity;
  let step = Infinity;
  for (const points of all) {
    const recorded = points.filter(([t]) => t <= now);
    const last = recorded[recorded.length - 1];
    if (last && last[0] > newest) newest = last[0];
    if (recorded.length > 1)
      step = Math.min(step, recorded[recorded.length - 1]![0] - recorded[recorded.length - 2]![0]);
  }
  if (!Number.isFinite(newest)) return 0;
  return reportTime - newest - (Number.isFinite(step) ? step : 0);
}
