/**
 * The Datadog metric source: a plan's series and events in as few requests as Datadog allows, through
 * the official client. See readme.md for setup and what a report costs in API calls.
 */
import type { DatadogSourceConfig } from '../../config/schema';
import { SourceError } from '../../errors';
import { ColumnSeries } from '../columns';
import type {
  EventFailure,
  MetricSource,
  QueryFailure,
  QueryMember,
  Series,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import { resolveEndpoint, type DatadogEndpoint } from './client';
import { fetchEventUnit } from './events';
import { fetchBatchV2, fetchUnitV1, type BatchOutcome, type MetricFetchOptions } from './metrics';
import {
  chooseIntervalMs,
  packBatches,
  planEventUnits,
  planMetricUnits,
  ungroup,
  type MetricUnit,
} from './query-plan';
import { DatadogCallError, DatadogSession } from './session';

export { resolveEndpoint } from './client';
export { chooseIntervalMs, planEventUnits, planMetricUnits, packBatches } from './query-plan';

/** Per-request timeout unless the config sets `timeoutMs`. */
export const defaultTimeoutMs = 30_000;
/** Attempts per request unless the config sets `maxAttempts`. */
export const defaultMaxAttempts = 4;
/** No request or retry of one fetch starts after this much time. */
export const fetchBudgetMs = 180_000;
/** One request's attempts and waits together. */
export const callBudgetMs = 60_000;
/** Requests in flight at once; the rate-limit budget may hold them back further. */
export const maxConcurrentRequests = 4;

function shorten(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

async function runPool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await tasks[next++]?.();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
}

function asCallError(error: unknown): DatadogCallError {
  return error instanceof DatadogCallError
    ? error
    : new DatadogCallError('body', error instanceof Error ? error.message : String(error));
}

async function fetchPlan(
  config: DatadogSourceConfig,
  ctx: SourceContext,
  endpoint: DatadogEndpoint,
  plan: SourcePlan,
  signal: AbortSignal,
): Promise<SourceResult> {
  const session = new DatadogSession({
    sourceId: config.id,
    endpoint,
    credentials: { apiKey: config.apiKey, appKey: config.appKey },
    timeoutMs: config.timeoutMs ?? defaultTimeoutMs,
    maxBytes: config.maxResponseBytes,
    maxAttempts: config.maxAttempts ?? defaultMaxAttempts,
    deadline: ctx.now() + fetchBudgetMs,
    maxCallMs: callBudgetMs,
    logger: ctx.logger,
    now: ctx.now,
    sleep: ctx.sleep,
    random: ctx.random,
    signal,
  });
  const say = (message: string) => session.redact(new SourceError(config.id, message).message);
  const errors = new Set<string>();
  const noteError = (error: DatadogCallError, what: string) =>
    errors.add(say(error.kind === 'auth' ? error.message : `${what} failed: ${error.message}`));

  // Metrics.
  const options: MetricFetchOptions = {
    start: plan.start,
    end: plan.end,
    intervalMs: chooseIntervalMs(plan.start, plan.end),
  };
  const units = planMetricUnits(plan.groups);
  const batches = packBatches(units);
  const memberCount = plan.groups.reduce((n, g) => n + g.members.length, 0);
  ctx.logger.debug(
    `${config.id}: ${memberCount} series as ${units.length} queries in ${batches.length} requests, ` +
      `${options.intervalMs / 1000} s interval`,
  );
  const got = new Map<string, Series>();
  const failed = new Map<string, QueryFailure>();
  const keyOf = (m: QueryMember) => `${m.stackId}\u0000${m.metricId}`;
  const describe = (m: QueryMember) => `query "${shorten(m.query)}"`;
  const collect = (outcome: BatchOutcome) => {
    for (const s of outcome.series) {
      got.set(keyOf(s.member), new ColumnSeries(s.member.stackId, s.member.metricId, s.columns, s.stepMs));
    }
    for (const f of outcome.failures) {
      const error = say(f.error);
      errors.add(error);
      failed.set(keyOf(f.member), { stackId: f.member.stackId, metricId: f.member.metricId, error });
    }
  };
  const failUnit = (unit: MetricUnit, error: DatadogCallError) => {
    noteError(error, `query "${shorten(unit.query)}"`);
    for (const { member } of unit.targets) {
      const message = say(
        error.kind === 'auth' ? error.message : `${describe(member)} failed: ${error.message}`,
      );
      failed.set(keyOf(member), { stackId: member.stackId, metricId: member.metricId, error: message });
    }
  };

  // Set when /api/v2/query/timeseries answers 404 (a proxy that only forwards v1, say).
  let v1Only = false;
  const runUnitV1 = async (unit: MetricUnit) => {
    try {
      collect(await fetchUnitV1(session, unit, options, describe));
    } catch (error) {
      failUnit(unit, asCallError(error));
    }
  };
  const runBatch = async (batch: MetricUnit[]): Promise<void> => {
    if (v1Only) {
      for (const unit of batch) await runUnitV1(unit);
      return;
    }
    try {
      collect(await fetchBatchV2(session, batch, options, describe));
    } catch (caught) {
      const error = asCallError(caught);
      if (error.kind === 'not-found') {
        if (!v1Only) ctx.logger.info(`${config.id}: /api/v2/query/timeseries not found; using /api/v1/query`);
        v1Only = true;
        for (const unit of batch) await runUnitV1(unit);
      } else if (error.kind === 'query' && batch.length > 1) {
        // One bad query fails the whole request: halve until it is alone, so only its metrics fail.
        const mid = Math.ceil(batch.length / 2);
        await runBatch(batch.slice(0, mid));
        await runBatch(batch.slice(mid));
      } else if (error.kind === 'query' && batch[0]?.groupKey) {
        // Refused as rewritten (`IN`, `by`): ask for each stack's query as the user wrote it.
        ctx.logger.debug(
          `${config.id}: grouped query refused (${error.message}); fetching its queries one by one`,
        );
        for (const plain of packBatches(ungroup(batch[0]))) await runBatch(plain);
      } else {
        for (const unit of batch) failUnit(unit, error);
      }
    }
  };

  // Events.
  const eventUnits = planEventUnits(plan.events);
  const events: SourceEvent[] = [];
  const failedEvents: EventFailure[] = [];
  let eventFailures = 0;
  const runEvents = async (unit: (typeof eventUnits)[number]) => {
    try {
      const outcome = await fetchEventUnit(session, unit, {
        start: plan.eventsStart,
        end: plan.end,
        appUrl: endpoint.appUrl,
      });
      events.push(...outcome.events);
      if (outcome.truncated)
        ctx.logger.warn(say(`${unit.kind} search "${shorten(unit.query)}" has more events than read`));
    } catch (caught) {
      eventFailures++;
      const error = asCallError(caught);
      noteError(error, `${unit.kind} search "${shorten(unit.query)}"`);
      const reason = say(
        error.kind === 'auth'
          ? error.message
          : `${unit.kind} search "${shorten(unit.query)}" failed: ${error.message}`,
      );
      for (const target of unit.targets)
        failedEvents.push({ stackId: target.stackId, kind: unit.kind, error: reason });
    }
  };

  await runPool(
    [...batches.map((b) => () => runBatch(b)), ...eventUnits.map((u) => () => runEvents(u))],
    maxConcurrentRequests,
  );

  const series: Series[] = [];
  const failures: QueryFailure[] = [];
  for (const group of plan.groups) {
    for (const member of group.members) {
      const f = failed.get(keyOf(member));
      const s = got.get(keyOf(member));
      if (f) failures.push(f);
      else if (s) series.push(s);
    }
  }
  events.sort((a, b) => a.at - b.at || a.stackId.localeCompare(b.stackId));

  const allMetricsFailed = memberCount > 0 && failures.length >= memberCount;
  const allEventsFailed = eventUnits.length > 0 && eventFailures === eventUnits.length;
  const status =
    allMetricsFailed || (memberCount === 0 && allEventsFailed)
      ? 'failed'
      : failures.length > 0 || eventFailures > 0
        ? 'partial'
        : 'ok';
  return {
    series,
    events,
    failures,
    eventFailures: failedEvents,
    health: {
      id: config.id,
      type: 'datadog',
      status,
      requests: session.requests,
      retries: session.retries,
      errors: [...errors],
    },
    parseMs: session.parseMs,
  };
}

/** The `datadog` source type: `(config, ctx) => MetricSource`, registered in ../registry.ts. */
export function createDatadogSource(config: DatadogSourceConfig, ctx: SourceContext): MetricSource {
  const endpoint = resolveEndpoint(config);
  return {
    id: config.id,
    fetch: (plan, signal) => fetchPlan(config, ctx, endpoint, plan, signal),
  };
}
