/**
 * Every stack's queries, run once over the last hour through the sources' own adapters (the same code
 * a report runs), and what came back per stack and metric: how many series, the step, the points and
 * the coverage. A query that returns nothing, or more than one series, would leave the metric unknown
 * in tomorrow's report: that fails doctor.
 */
import type { ResolvedConfig } from '../config/types';
import type { Logger } from '../logger';
import { planSources } from '../plan';
import { createSource } from '../sources/registry';
import type { MetricSource, Series, SourceContext, SourceResult } from '../sources/types';
import { fail, ok, warn, type Check } from './types';

/** The range doctor asks for: long enough for a few points at any provider's step. */
export const doctorRangeMs = 3_600_000;

export interface QueryCheckDeps extends Pick<SourceContext, 'now' | 'sleep' | 'random'> {
  logger: Logger;
  signal: AbortSignal;
  /** The registry's factory by default. */
  createSource?: (config: ResolvedConfig['sources'][number], ctx: SourceContext) => MetricSource;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** Points with a value, the step, and the share of the expected points that arrived. */
function describeSeries(series: Series, start: number, end: number) {
  const values = series.points.filter(([, v]) => v !== null).length;
  const step = series.stepMs ?? inferStep(series);
  const expected = step ? Math.max(1, Math.floor((end - start) / step)) : undefined;
  const coverage = expected ? Math.min(1, values / expected) : undefined;
  return { values, step, coverage };
}

function inferStep(series: Series): number | undefined {
  const [a, b] = series.points;
  return a && b ? b[0] - a[0] : undefined;
}

/** `skip`: sources that failed their own check; their queries are not run (they would fail alike). */
export async function checkQueries(
  config: ResolvedConfig,
  deps: QueryCheckDeps,
  skip: ReadonlySet<string> = new Set(),
): Promise<Check[]> {
  const end = deps.now();
  const start = end - doctorRangeMs;
  const plans = planSources(config.stacks, { start, end }, start);
  for (const id of skip) plans.delete(id);
  const results = new Map<string, SourceResult | Error>();
  await Promise.all(
    [...plans].map(async ([sourceId, plan]) => {
      const source = config.sources.find((s) => s.id === sourceId)!;
      const ctx: SourceContext = {
        configDir: config.dir,
        reportTime: end,
        logger: deps.logger,
        now: deps.now,
        sleep: deps.sleep,
        random: deps.random,
      };
      try {
        const adapter = (deps.createSource ?? createSource)(source, ctx);
        results.set(sourceId, await adapter.fetch(plan, deps.signal));
      } catch (error) {
        results.set(sourceId, error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );

  const checks: Check[] = [];
  for (const stack of config.stacks) {
    const skipped = [...new Set(stack.metrics.filter((m) => skip.has(m.source)).map((m) => m.source))];
    for (const sourceId of skipped) {
      const ids = stack.metrics.filter((m) => m.source === sourceId).map((m) => m.id);
      checks.push(
        fail(
          `${stack.id} / ${ids.join(', ')}`,
          `not run: source ${sourceId} failed above`,
          `fix source ${sourceId} first`,
        ),
      );
    }
    for (const metric of stack.metrics) {
      if (skip.has(metric.source)) continue;
      const subject = `${stack.id} / ${metric.id}`;
      const result = results.get(metric.source);
      if (!result || result instanceof Error) {
        checks.push(fail(subject, result?.message ?? 'not fetched', `fix source ${metric.source} first`));
        continue;
      }
      const failure = result.failures.find((f) => f.stackId === stack.id && f.metricId === metric.id);
      if (failure) {
        const many = /returned (\d+) series/.exec(failure.error);
        checks.push(
          many
            ? fail(
                subject,
                `${many[1]} series, expected 1`,
                `aggregate it (e.g. sum(…) or avg(…) without "by"): ${metric.query}`,
              )
            : fail(subject, failure.error.replace(/^source "[^"]*": /, ''), 'check the query and its source'),
        );
        continue;
      }
      const series = result.series.find((s) => s.stackId === stack.id && s.metricId === metric.id);
      const seen = series ? describeSeries(series, start, end) : undefined;
      if (!seen || seen.values === 0) {
        checks.push(
          fail(
            subject,
            // Adapters hand over an empty series when the provider returned none.
            `${series && series.points.length > 0 ? '1 series, but no values' : '0 series'} in the last hour: ${metric.query}`,
            `check the metric name and the stack's vars (${Object.entries(metric.vars)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')})`,
          ),
        );
        continue;
      }
      const coverage = seen.coverage === undefined ? '' : `, coverage ${Math.round(seen.coverage * 100)}%`;
      const detail = `1 series, step ${seen.step ? duration(seen.step) : '?'}, ${plural(seen.values, 'point')}${coverage}`;
      const minCoverage = metric.thresholds.minCoverage;
      checks.push(
        seen.coverage !== undefined && seen.coverage < minCoverage
          ? warn(
              subject,
              detail,
              `below minCoverage ${Math.round(minCoverage * 100)}%: a day like this hour would be unknown; check that the metric is reported steadily`,
            )
          : ok(subject, detail),
      );
    }
  }

  // Events are counted, not judged; a failing event query is worth a warning.
  for (const [sourceId, result] of results) {
    if (result instanceof Error) continue;
    const metricErrors = new Set(result.failures.map((f) => f.error));
    for (const error of result.health.errors) {
      if (!metricErrors.has(error) && /deployments|alerts|events|annotations/i.test(error))
        checks.push(
          warn(`source ${sourceId}`, error.replace(/^source "[^"]*": /, ''), 'check the events queries'),
        );
    }
  }
  return checks;
}
