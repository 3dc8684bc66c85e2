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

export interface RunOptions {
  /** Report times (epoch ms), oldest first: one for `report`, many for `backtest`. */
  times: number[];
  /** Only these stacks (all when empty). */
  stackIds?: string[];
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
}

export interface RunResult {
  reports: Report[];
  /** True when every source that was asked for something failed: the reports hold only unknowns. */
  allSourcesFailed: boolean;
}

export function selectStacks(config: ResolvedConfig, ids: readonly string[] = []): StackSpec[] {
  if (ids.length === 0) return config.stacks;
  const known = new Set(config.stacks.map((s) => s.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new UsageError(`--stack ${missing.join(', ')}: no such stack (known: ${[...known].join(', ')})`);
  }
  return config.stacks.filter((s) => ids.includes(s.id));
}

export async function generateReports(
  config: ResolvedConfig,
  options: RunOptions,
  deps: RunDeps,
): Promise<RunResult> {
  const stacks = selectStacks(config, options.stackIds);
  const windows = options.times.map((t) => reportWindows(t, config.report));
  const range = fetchRange(windows);
  const plans = planSources(stacks, range, Math.min(...options.times) - eventLookBackMs);
  const latest = options.times[options.times.length - 1] ?? range.end;

  const started = deps.now();
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
        return fetchedOne({
          series: [],
          events: [],
          failures: plan.groups.flatMap((g) =>
            g.members.map((m) => ({ stackId: m.stackId, metricId: m.metricId, error: message })),
          ),
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
  const data: FetchedData = {
    series: results.flatMap((r) => r.series),
    events: results.flatMap((r) => r.events),
    failures: results.flatMap((r) => r.failures),
    health: results.map((r) => r.health),
  };
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
  deps.logger.info(
    `classify: ${stacks.length} stack${stacks.length === 1 ? '' : 's'} × ${reports.length} report time${reports.length === 1 ? '' : 's'} in ${((deps.now() - classifyStarted) / 1000).toFixed(1)} s`,
  );
  const allSourcesFailed = data.health.length > 0 && data.health.every((h) => h.status === 'failed');
  return { reports, allSourcesFailed };
}
