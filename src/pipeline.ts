/**
 * From a resolved config to reports: plan, fetch every source once for all report times, classify.
 * Sources are the only I/O here, and they are injected through the registry and the deps.
 */
import type { ResolvedConfig, StackSpec } from './config/types';
import { ConfigError, SourceError, UsageError, redact } from './errors';
import type { Logger } from './logger';
import { eventLookBackMs, fetchRange, planSources } from './plan';
import { reportWindows } from './plan/windows';
import { buildReport, type FetchedData } from './report/build';
import type { Report } from './report/types';
import { createSource } from './sources/registry';
import type { MetricSource, SourceContext, SourceResult } from './sources/types';

/** Default for report.maxPointsPerSeries: 90 days at one point a minute fits with room. */
export const defaultMaxPointsPerSeries = 200_000;

export interface RunOptions {
  /** Report times (epoch ms), oldest first: one for `report`, many for `backtest`. */
  times: number[];
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

export async function generateReports(
  config: ResolvedConfig,
  options: RunOptions,
  deps: RunDeps,
): Promise<RunResult> {
  const planStarted = deps.now();
  const stacks = selectStacks(config, options.stackIds, options.teams);
  const windows = options.times.map((t) => reportWindows(t, config.report));
  const range = fetchRange(windows);
  // Sources that tell who is on call are asked even when no metric or event uses them.
  const onCallSources = config.sources.filter((s) => 'teams' in s && Object.keys(s.teams).length > 0);
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
  const fetchedOne = <T>(result: T): T => {
    deps.logger.progress?.('fetch', ++fetched, plans.size);
    return result;
  };
  const results = await Promise.all(
    [...plans].map(async ([sourceId, plan]): Promise<SourceResult> => {
      const sourceConfig = config.sources.find((s) => s.id === sourceId)!;
      const ctx: SourceContext = {
        configDir: config.dir,
        reportTime: latest,
        logger: deps.logger,
        now: deps.now,
        sleep: deps.sleep,
        random: deps.random,
      };
      try {
        const source = (deps.createSource ?? createSource)(sourceConfig, ctx);
        return fetchedOne(await source.fetch(plan, deps.signal ?? new AbortController().signal));
      } catch (error) {
        if (error instanceof UsageError || error instanceof ConfigError) throw error;
        // A source that fails as a whole leaves its metrics unknown; the others still report.
        const message = redact(
          error instanceof SourceError ? error.message : `source "${sourceId}": ${(error as Error).message}`,
          config.secrets,
        );
        const teams = 'teams' in sourceConfig ? Object.keys(sourceConfig.teams) : [];
        return fetchedOne({
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
    }),
  );
  // A series larger than anyone can read is refused for its metric alone, with the limit named.
  const maxPoints = config.report.maxPointsPerSeries ?? defaultMaxPointsPerSeries;
  const oversized = results
    .flatMap((r) => r.series)
    .filter((s) => s.points.length > maxPoints)
    .map((s) => ({
      stackId: s.stackId,
      metricId: s.metricId,
      error: `${s.points.length} points in one series, more than report.maxPointsPerSeries (${maxPoints})`,
    }));
  const data: FetchedData = {
    series: results.flatMap((r) => r.series).filter((s) => s.points.length <= maxPoints),
    events: results.flatMap((r) => r.events),
    failures: [...results.flatMap((r) => r.failures), ...oversized],
    eventFailures: results.flatMap((r) => r.eventFailures ?? []),
    health: results.map((r) => r.health),
    onCall: results.flatMap((r) => (r.onCall ?? []).map((o) => ({ ...o, source: r.health.id }))),
  };
  deps.onPhase?.('fetch', deps.now() - started);
  deps.onPhase?.(
    'parse',
    results.reduce((ms, r) => ms + (r.parseMs ?? 0), 0),
  );
  const requests = data.health.reduce((n, h) => n + h.requests, 0);
  deps.logger.info(
    `fetch: ${plans.size} source${plans.size === 1 ? '' : 's'}, ${requests} request${requests === 1 ? '' : 's'}, ${data.series.length} series in ${((deps.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const h of data.health) for (const e of h.errors) deps.logger.warn(redact(e, config.secrets));

  const classifyStarted = deps.now();
  const reports = windows.map((w, i) => {
    const report = buildReport({ config, stacks, windows: w, data, generatedAt: options.generatedAt });
    deps.logger.progress?.('classify', i + 1, windows.length);
    return report;
  });
  deps.onPhase?.('classify', deps.now() - classifyStarted);
  deps.logger.info(
    `classify: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} × ${reports.length} report time${reports.length === 1 ? '' : 's'} in ${((deps.now() - classifyStarted) / 1000).toFixed(1)} s`,
  );
  // Every source asked for metrics failed: the reports hold only unknowns. A source asked only for
  // events or on-call (pagerduty) failing alone does not make the run a failure.
  const metricHealth = data.health.filter((h) => (plans.get(h.id)?.groups.length ?? 0) > 0);
  const judged = metricHealth.length > 0 ? metricHealth : data.health;
  const allSourcesFailed = judged.length > 0 && judged.every((h) => h.status === 'failed');
  return { reports, allSourcesFailed };
}
