/**
 * From a resolved config to reports: plan, fetch every source once for all report times, classify.
 * Sources are the only I/O here, and they are injected through the registry and the deps.
 */
import type { ResolvedConfig, StackSpec } from './config/types';
import { ConfigError, SourceError, UsageError, redact } from './errors';
import type { Logger } from './logger';
import { eventLookBackMs, fetchRange, planSources } from './plan';
import { earlierReportTimes, reportWindows, type ReportWindows } from './plan/windows';
import { buildReport, type FetchedData } from './report/build';
import { withDelivery } from './report/story/delivery';
import { withHistory } from './report/story/history';
import type { Report } from './report/types';
import { createSource } from './sources/registry';
import { ColumnSeries, columnsOfSeries, lowerIndex } from './sources/columns';
import type {
  MetricSource,
  Series,
  SourceContext,
  SourceHealth,
  SourcePlan,
  SourceResult,
} from './sources/types';

/** Default for report.maxPointsPerSeries: 90 days at one point a minute fits with room. */
export const defaultMaxPointsPerSeries = 200_000;

export interface RunOptions {
  /** Report times (epoch ms), oldest first: one for `report`, many for `backtest`. */
  times: number[];
  /**
   * Report times each report's history holds, its own included (the 14-day calendar); 1 or absent: no
   * history. The earlier days are judged from the same fetch with the same rules.
   */
  historyDays?: number;
  /** Only these stacks (all when empty). */
  stackIds?: string[];
  /** Only stacks of these teams (all when empty); with stackIds, stacks that match both. */
  teams?: string[];
  /** Stamped into every report. */
  generatedAt: number;
}

export interface RunDeps {
  logger: Logger;
  now: () => number;
  sleep: SourceContext['sleep'];
  random: () => number;
  signal?: AbortSignal;
  /** Build a source from its config; the registry by default. Tests may pass their own. */
  createSource?: (config: ResolvedConfig['sources'][number], ctx: SourceContext) => MetricSource;
  /** Told how long each phase took (plan, fetch, parse, classify), for --verbose and the bench. */
  onPhase?: (phase: 'plan' | 'fetch' | 'parse' | 'classify', ms: number) => void;
}

export interface RunResult {
  reports: Report[];
  /** True when every source that was asked for something failed: the reports hold only unknowns. */
  allSourcesFailed: boolean;
}

export function selectStacks(
  config: ResolvedConfig,
  ids: readonly string[] = [],
  teams: readonly string[] = [],
): StackSpec[] {
  const known = new Set(config.stacks.map((s) => s.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new UsageError(`--stack ${missing.join(', ')}: no such stack (known: ${[...known].join(', ')})`);
  }
  const knownTeams = new Set(config.stacks.flatMap((s) => (s.team ? [s.team] : [])));
  const noTeam = teams.filter((t) => !knownTeams.has(t));
  if (noTeam.length > 0) {
    throw new UsageError(
      `--team ${noTeam.join(', ')}: no stack has this team (teams: ${[...knownTeams].join(', ') || 'none'})`,
    );
  }
  const selected = config.stacks.filter(
    (s) =>
      (ids.length === 0 || ids.includes(s.id)) &&
      (teams.length === 0 || (s.team !== undefined && teams.includes(s.team))),
  );
  if (selected.length === 0 && config.stacks.length > 0) {
    throw new UsageError(`--stack ${ids.join(', ')} --team ${teams.join(', ')}: no stack matches both`);
  }
  return selected;
}

/**
 * Sources that return every point of any range (no provider point limit): one fetch covers the history
 * days too. Every other source fetches the older days in a request of their own, so that a point limit
 * never coarsens the data of the report itself.
 */
const keepsEveryPoint: ReadonlySet<string> = new Set(['file']);

export async function generateReports(
  config: ResolvedConfig,
  options: RunOptions,
  deps: RunDeps,
): Promise<RunResult> {
  const planStarted = deps.now();
  const stacks = selectStacks(config, options.stackIds, options.teams);
  const windows = options.times.map((t) => reportWindows(t, config.report));
  // Metrics with their own baseline mode (weekly) need their own baseline windows fetched too.
  const modes = new Set(
    stacks.flatMap((s) => s.metrics.flatMap((m) => (m.baselineMode ? [m.baselineMode] : []))),
  );
  modes.delete(config.report.baseline.mode);
  const metricWindows = [...modes].flatMap((mode) =>
    options.times.map((t) =>
      reportWindows(t, { ...config.report, baseline: { ...config.report.baseline, mode } }),
    ),
  );
  const range = fetchRange([...windows, ...metricWindows]);
  // Sources that tell who is on call are asked even when no metric or event uses them.
  const onCallSources = config.sources.filter((s) => 'teams' in s && Object.keys(s.teams).length > 0);
  const historyDays = Math.max(1, options.historyDays ?? 1);
  const requested = new Set(options.times);
  const earlierTimes = [
    ...new Set(options.times.flatMap((t) => earlierReportTimes(t, historyDays - 1, config.report))),
  ]
    .filter((t) => !requested.has(t))
    .sort((a, b) => a - b);
  const earlierWindows = earlierTimes.map((t) => reportWindows(t, config.report));
  const fullRange = fetchRange([...windows, ...earlierWindows]);
  const plans = planSources(
    stacks,
    range,
    Math.min(...options.times) - eventLookBackMs,
    onCallSources.map((s) => s.id),
  );
  const latest = options.times[options.times.length - 1] ?? range.end;

  const started = deps.now();
  deps.onPhase?.('plan', started - planStarted);
  let fetched = 0;
  let fetches = 0;
  const fetchOne = async (sourceId: string, plan: SourcePlan): Promise<SourceResult> => {
    const sourceConfig = config.sources.find((s) => s.id === sourceId)!;
    const ctx: SourceContext = {
      configDir: config.dir,
      reportTime: latest,
      logger: deps.logger,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
    };
    const done = <T>(result: T): T => {
      deps.logger.progress?.('fetch', ++fetched, fetches);
      return result;
    };
    try {
      const source = (deps.createSource ?? createSource)(sourceConfig, ctx);
      return done(await source.fetch(plan, deps.signal ?? new AbortController().signal));
    } catch (error) {
      if (error instanceof UsageError || error instanceof ConfigError) throw error;
      // A source that fails as a whole leaves its metrics unknown; the others still report.
      const message = redact(
        error instanceof SourceError ? error.message : `source "${sourceId}": ${(error as Error).message}`,
        config.secrets,
      );
      const teams = 'teams' in sourceConfig ? Object.keys(sourceConfig.teams) : [];
      return done({
        series: [],
        events: [],
        onCall: teams
          .filter((team) => plan.teams?.includes(team))
          .map((team) => ({ team, names: [], error: message })),
        failures: plan.groups.flatMap((g) =>
          g.members.map((m) => ({ stackId: m.stackId, metricId: m.metricId, error: message })),
        ),
        eventFailures: plan.events.map((e) => ({ stackId: e.stackId, kind: e.kind, error: message })),
        health: {
          id: sourceId,
          type: sourceConfig.type,
          status: 'failed',
          requests: 0,
          retries: 0,
          errors: [message],
        },
      });
    }
  };
  const jobs = [...plans].map(([sourceId, plan]) => {
    const type = config.sources.find((s) => s.id === sourceId)!.type;
    const whole = keepsEveryPoint.has(type);
    const recent: SourcePlan = whole ? { ...plan, start: fullRange.start } : plan;
    const older: SourcePlan | undefined =
      !whole && fullRange.start < range.start && plan.groups.length > 0
        ? {
            ...plan,
            start: fullRange.start,
            end: range.start,
            events: [],
            eventsStart: fullRange.start,
            teams: [],
          }
        : undefined;
    fetches += older ? 2 : 1;
    return { recent, older, sourceId };
  });
  const results = await Promise.all(
    jobs.map(async ({ sourceId, recent, older }) => {
      const [now, before] = await Promise.all([
        fetchOne(sourceId, recent),
        older ? fetchOne(sourceId, older) : Promise.resolve(undefined),
      ]);
      return { now, before };
    }),
  );
  const health = results.map((r) => (r.before ? joinHealth(r.now.health, r.before.health) : r.now.health));
  // A series larger than anyone can read is refused for its metric alone, with the limit named.
  const maxPoints = config.report.maxPointsPerSeries ?? defaultMaxPointsPerSeries;
  const readable = (all: readonly Series[]) => {
    const failures = all
      .filter((s) => columnsOfSeries(s).times.length > maxPoints)
      .map((s) => ({
        stackId: s.stackId,
        metricId: s.metricId,
        error: `${columnsOfSeries(s).times.length} points in one series, more than report.maxPointsPerSeries (${maxPoints})`,
      }));
    return { series: all.filter((s) => columnsOfSeries(s).times.length <= maxPoints), failures };
  };
  const recent = readable(results.flatMap((r) => r.now.series));
  const data: FetchedData = {
    series: recent.series,
    events: results.flatMap((r) => r.now.events),
    failures: [...results.flatMap((r) => r.now.failures), ...recent.failures],
    eventFailures: results.flatMap((r) => r.now.eventFailures ?? []),
    health,
    onCall: results.flatMap((r) => (r.now.onCall ?? []).map((o) => ({ ...o, source: r.now.health.id }))),
  };
  // The history days read the older fetch joined to the recent one.
  const older = readable(
    joinSeries(
      recent.series,
      results.flatMap((r) => r.before?.series ?? []),
    ),
  );
  const historyData: FetchedData = {
    ...data,
    series: older.series,
    failures: [...data.failures, ...results.flatMap((r) => r.before?.failures ?? []), ...older.failures],
  };
  deps.onPhase?.('fetch', deps.now() - started);
  deps.onPhase?.(
    'parse',
    results.reduce((ms, r) => ms + (r.now.parseMs ?? 0) + (r.before?.parseMs ?? 0), 0),
  );
  const requests = data.health.reduce((n, h) => n + h.requests, 0);
  deps.logger.info(
    `fetch: ${plans.size} source${plans.size === 1 ? '' : 's'}, ${requests} request${requests === 1 ? '' : 's'}, ${data.series.length} series in ${((deps.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const h of data.health) for (const e of h.errors) deps.logger.warn(redact(e, config.secrets));

  const classifyStarted = deps.now();
  const total = windows.length + earlierWindows.length;
  let classified = 0;
  const build = (w: ReportWindows, from: FetchedData, charts = true) => {
    const report = buildReport({
      config,
      stacks,
      windows: w,
      data: from,
      generatedAt: options.generatedAt,
      charts,
    });
    deps.logger.progress?.('classify', ++classified, total);
    return report;
  };
  const earlier = new Map(
    earlierWindows.map((w, i) => [earlierTimes[i]!, build(w, historyData, false)] as const),
  );
  let reports = windows.map((w) => build(w, data));
  if (historyDays > 1) {
    const all = new Map([...earlier, ...options.times.map((t, i) => [t, reports[i]!] as const)]);
    const deployLinkMs = new Map(stacks.map((s) => [s.id, s.deployLinkMs]));
    reports = reports.map((r, i) => {
      const times = earlierReportTimes(options.times[i]!, historyDays - 1, config.report);
      // The fortnight's deployments come from the same reports: one events search per source.
      return withDelivery(withHistory(r, times, all), times, all, deployLinkMs);
    });
  }
  deps.onPhase?.('classify', deps.now() - classifyStarted);
  deps.logger.info(
    `classify: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} × ${total} report time${total === 1 ? '' : 's'} in ${((deps.now() - classifyStarted) / 1000).toFixed(1)} s`,
  );
  // Every source asked for metrics failed: the reports hold only unknowns. A source asked only for
  // events or on-call (pagerduty) failing alone does not make the run a failure.
  const metricHealth = data.health.filter((h) => (plans.get(h.id)?.groups.length ?? 0) > 0);
  const judged = metricHealth.length > 0 ? metricHealth : data.health;
  const allSourcesFailed = judged.length > 0 && judged.every((h) => h.status === 'failed');
  return { reports, allSourcesFailed };
}

/** One source's health over its two fetches: requests, retries and errors add up. */
function joinHealth(a: SourceHealth, b: SourceHealth): SourceHealth {
  return {
    ...a,
    // Half the data is still data: one failed fetch of two makes the source partial, not failed.
    status: a.status === b.status ? a.status : 'partial',
    requests: a.requests + b.requests,
    retries: a.retries + b.retries,
    errors: [...a.errors, ...b.errors],
  };
}

/**
 * Each series with the older fetch's readings in front (those before the recent fetch's first one);
 * the coarser step of the two, so gaps are read fairly. Columns are joined once, never as tuples.
 */
function joinSeries(recent: readonly Series[], older: readonly Series[]): Series[] {
  const key = (s: Series) => `${s.stackId}\u0000${s.metricId}`;
  const before = new Map(older.map((s) => [key(s), s]));
  // The series of one answer share its times (views of one array): joined once per pair of answers,
  // not once per series, which would double the memory the history takes.
  const bufferIds = new Map<ArrayBufferLike, number>();
  const idOf = (a: Float64Array) => {
    let id = bufferIds.get(a.buffer);
    if (id === undefined) bufferIds.set(a.buffer, (id = bufferIds.size));
    return `${id}:${a.byteOffset}:${a.length}`;
  };
  const joinedTimes = new Map<string, Float64Array>();
  const out = recent.map((s): Series => {
    const o = before.get(key(s));
    if (!o) return s;
    before.delete(key(s));
    const now = columnsOfSeries(s);
    const then = columnsOfSeries(o);
    const cut = lowerIndex(then.times, now.times[0] ?? Infinity);
    const timesKey = `${idOf(then.times)} ${cut} ${idOf(now.times)}`;
    let times = joinedTimes.get(timesKey);
    if (!times) {
      times = new Float64Array(cut + now.times.length);
      times.set(then.times.subarray(0, cut));
      times.set(now.times, cut);
      joinedTimes.set(timesKey, times);
    }
    const values = new Float64Array(cut + now.times.length);
    values.set(then.values.subarray(0, cut));
    values.set(now.values, cut);
    const stepMs = Math.max(s.stepMs ?? 0, o.stepMs ?? 0);
    return new ColumnSeries(s.stackId, s.metricId, { times, values }, stepMs > 0 ? stepMs : undefined);
  });
  return [...out, ...before.values()];
}
