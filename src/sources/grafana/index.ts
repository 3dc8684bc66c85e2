/**
 * The Grafana source: metrics through `POST /api/ds/query` against one datasource (many refIds per
 * request; for a Prometheus datasource one refId per template grouped by a label, as the prometheus
 * source does, else one per distinct query), deployment and alert markers from `GET /api/annotations`
 * by tag.
 *
 * A 400 (or 207) from /api/ds/query still carries every query's answer: only the refIds whose
 * result holds an `error` fail. Grafana's service account token is sent as a bearer token.
 */
import type { GrafanaSourceConfig } from '../../config/schema';
import { redact } from '../../errors';
import { safeText } from '../../net/text';
import {
  HttpClient,
  RequestFailure,
  credentialForms,
  distinctErrors,
  mapLimit,
  messageOf,
  snippet,
  statusOf,
} from '../http';
import { membersOf, planGroup, singles, splitByLabel, type PromRequest } from '../prometheus/promql';
import { chooseSteps, pointCount, type RangeSteps } from '../prometheus/step';
import type {
  EventFailure,
  EventQuery,
  MetricSource,
  QueryFailure,
  QueryMember,
  Series,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import { FrameError, readFrames, type FrameSeries } from './frames';
import { annotations, apiError, queryResponse, type Annotation, type QueryResult } from './schema';

/** refIds per /api/ds/query request: Grafana runs them concurrently; more makes one slow answer. */
export const queriesPerRequest = 20;
/** Requests in flight at once. */
const concurrency = 4;
/** Annotations asked for per request; an answer this long may be cut short. */
export const annotationLimit = 5000;

export function createGrafanaSource(config: GrafanaSourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchGrafana(config, ctx, plan, signal) };
}

/** One refId: a distinct query, or a template grouped by a label, and the members it feeds. */
interface Job {
  refId: string;
  request: PromRequest;
}

async function fetchGrafana(
  config: GrafanaSourceConfig,
  ctx: SourceContext,
  plan: SourcePlan,
  signal: AbortSignal,
): Promise<SourceResult> {
  const secrets = credentialForms(config.token);
  const { uid } = config.datasource;
  const http = new HttpClient({
    sourceId: config.id,
    baseUrl: config.url,
    headers: { Authorization: `Bearer ${config.token}` },
    secrets,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    maxBytes: config.maxResponseBytes,
    deps: ctx,
    readsBody: (status) => status === 400 || status === 207,
    authHint: `check the token of source "${config.id}": a Grafana service account token with the Viewer role`,
    notFoundHint: `check the url of source "${config.id}" and its datasource.uid "${uid}" (Connections → Data sources → the datasource: the uid ends its page URL)`,
  });
  const steps = chooseSteps(plan.start, plan.end);
  const fail = (kind: 'rejected' | 'malformed', message: string, status?: number) =>
    new RequestFailure(config.id, kind, redact(message, secrets), status);

  const series: Series[] = [];
  const failures: QueryFailure[] = [];
  const failMembers = (members: readonly QueryMember[], error: unknown) => {
    for (const m of members)
      failures.push({ stackId: m.stackId, metricId: m.metricId, error: messageOf(error) });
  };

  const models = new Map<string, Record<string, unknown>>();
  let refIds = 0;
  const toJobs = (requests: readonly PromRequest[]): Job[] => {
    const jobs: Job[] = [];
    for (const request of requests) {
      const refId = `q${++refIds}`;
      try {
        models.set(refId, queryModel(request.query, refId, config.datasource, steps));
        jobs.push({ refId, request });
      } catch (error) {
        failMembers(membersOf(request), fail('rejected', messageOf(error)));
      }
    }
    return jobs;
  };

  /** Members whose grouped refId could not serve them: asked again with one refId per query. */
  const fallback: QueryMember[] = [];
  const fallBack = (job: Job, why: string) => {
    ctx.logger.debug(`source "${config.id}": ${why}; one refId per stack instead`);
    fallback.push(...membersOf(job.request));
  };

  /** Members of one query: no series is a gap (unknown), several is a query that needs aggregating. */
  const assign = (members: readonly QueryMember[], found: readonly FrameSeries[], query: string) => {
    if (found.length > 1) {
      const error = `the query ${query} returned ${found.length} series where one is needed; aggregate it, e.g. sum(…)`;
      return failMembers(members, fail('rejected', error));
    }
    for (const m of members) {
      series.push({
        stackId: m.stackId,
        metricId: m.metricId,
        points: found[0]?.points ?? [],
        stepMs: found[0]?.stepMs ?? steps.stepMs,
      });
    }
  };

  const answer = (job: Job, result: QueryResult | undefined): void => {
    const { request } = job;
    const members = membersOf(request);
    if (!result) return failMembers(members, fail('malformed', `no answer for the query ${request.query}`));
    if (result.error) {
      const status = result.status ? ` (HTTP ${result.status})` : '';
      if (request.kind === 'grouped' && isRejection(result.status)) {
        // The template itself, or our rewrite of it? The stacks' own queries tell, each failing alone.
        return fallBack(
          job,
          `grouped query ${job.refId} failed${status}: ${safeText(result.error, secrets)}`,
        );
      }
      return failMembers(
        members,
        fail(
          'rejected',
          `the query ${request.query} failed${status}: ${safeText(result.error, secrets)}`,
          result.status,
        ),
      );
    }
    let found: FrameSeries[];
    try {
      const read = readFrames(result.frames ?? [], plan);
      for (const why of read.skipped) ctx.logger.debug(`source "${config.id}": ${job.refId}: skipped ${why}`);
      found = read.series;
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return failMembers(members, fail('malformed', `the answer to ${request.query}: ${error.message}`));
    }
    if (request.kind === 'single') return assign(request.members, found, request.query);
    const byValue = splitByLabel(request, found, (s) => s.labels);
    if (!byValue) return fallBack(job, `answer to ${job.refId} not split by ${request.label}`);
    for (const [value, ms] of request.byValue) assign(ms, byValue.get(value) ?? [], ms[0]!.query);
  };

  const runChunk = async (chunk: Job[]): Promise<void> => {
    try {
      const reply = await http.send(
        {
          method: 'POST',
          path: '/api/ds/query',
          json: {
            from: String(plan.start),
            to: String(plan.end),
            queries: chunk.map((j) => models.get(j.refId)),
          },
        },
        signal,
      );
      const parsed = queryResponse.safeParse(reply.body);
      if (!parsed.success) {
        const error = apiError.safeParse(reply.body);
        if (reply.status === 400 && error.success) {
          throw fail(
            'rejected',
            `POST /api/ds/query: HTTP 400: ${safeText(error.data.message ?? 'bad request', secrets)}`,
            400,
          );
        }
        throw fail(
          'malformed',
          `unexpected answer from /api/ds/query (HTTP ${reply.status}): ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      for (const job of chunk) answer(job, parsed.data.results[job.refId]);
    } catch (error) {
      failMembers(
        chunk.flatMap((j) => membersOf(j.request)),
        error,
      );
    }
  };

  const chunked = (jobs: readonly Job[]): Job[][] => {
    const chunks: Job[][] = [];
    for (let i = 0; i < jobs.length; i += queriesPerRequest)
      chunks.push(jobs.slice(i, i + queriesPerRequest));
    return chunks;
  };

  // A Prometheus datasource gets one refId per template where a label grouping serves every stack
  // (as the prometheus source does), else one per distinct query; other datasources one per query.
  const members = plan.groups.flatMap((g) => g.members);
  const chunks = chunked(
    toJobs(
      shareQueries(
        config.datasource.type === 'prometheus' ? plan.groups.flatMap(planGroup) : singles(members),
      ),
    ),
  );

  const eventErrors: string[] = [];
  const eventFailures: EventFailure[] = [];
  let failedEventQueries = 0;
  const events: SourceEvent[] = [];
  const fetchAnnotations = async (tags: readonly string[]): Promise<Annotation[]> => {
    const reply = await http.send(
      {
        method: 'GET',
        path: '/api/annotations',
        params: { from: plan.eventsStart, to: plan.end, tags, limit: annotationLimit },
      },
      signal,
    );
    const parsed = annotations.safeParse(reply.body);
    if (!parsed.success) {
      throw fail(
        'malformed',
        `unexpected answer from /api/annotations: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return parsed.data;
  };

  const runEvents = async (batch: EventBatch): Promise<void> => {
    try {
      let found = await fetchAnnotations(batch.tags);
      if (found.length >= annotationLimit && batch.queries.length > 1) {
        // The shared tags match too much: ask per query instead.
        for (const q of batch.queries) await runEvents({ tags: q.tags, queries: [q] });
        return;
      }
      if (found.length >= annotationLimit) {
        eventErrors.push(
          `source "${config.id}": ${annotationLimit}+ annotations tagged ${batch.tags.join(',')}; counts may be short`,
        );
      }
      found = found.filter((a) => a.time >= plan.eventsStart && a.time < plan.end);
      for (const q of batch.queries) {
        for (const a of found) {
          const tags = new Set(a.tags ?? []);
          if (q.tags.every((t) => tags.has(t))) events.push(toEvent(q, a, config.url));
        }
      }
    } catch (error) {
      failedEventQueries += batch.queries.length;
      eventErrors.push(messageOf(error));
      for (const q of batch.queries)
        eventFailures.push({ stackId: q.stackId, kind: q.kind, error: messageOf(error) });
    }
  };

  const { batches, invalid } = eventBatches(plan.events);
  for (const q of invalid) {
    failedEventQueries++;
    const error = `source "${config.id}": the ${q.kind} query "${q.query}" of stack ${q.stackId} names no tag; give a comma-separated tag list, e.g. "deploy,service:checkout"`;
    eventErrors.push(error);
    eventFailures.push({ stackId: q.stackId, kind: q.kind, error });
  }

  await mapLimit<() => Promise<void>, void>(
    [...chunks.map((c) => () => runChunk(c)), ...batches.map((b) => () => runEvents(b))],
    concurrency,
    (task) => task(),
  );
  // Every grouped refId that fell back, together: as few requests as the chunking allows.
  await mapLimit(chunked(toJobs(singles(fallback))), concurrency, runChunk);

  const memberCount = members.length;
  const errors = distinctErrors([...failures.map((f) => f.error), ...eventErrors]);
  return {
    series,
    events,
    failures,
    eventFailures,
    health: {
      id: config.id,
      type: 'grafana',
      status: statusOf(memberCount + plan.events.length, failures.length + failedEventQueries, errors.length),
      requests: http.requests,
      retries: http.retries,
      errors,
    },
  };
}

/**
 * Requests with the same query (two metrics on one template, or stacks sharing a query) merged into
 * one, so each distinct query costs one refId.
 */
export function shareQueries(requests: readonly PromRequest[]): PromRequest[] {
  const byQuery = new Map<string, PromRequest>();
  const out: PromRequest[] = [];
  for (const request of requests) {
    const key = `${request.kind === 'grouped' ? `by ${request.label}` : 'single'} ${request.query}`;
    const seen = byQuery.get(key);
    if (!seen) {
      const copy: PromRequest =
        request.kind === 'grouped'
          ? { ...request, byValue: new Map([...request.byValue].map(([v, ms]) => [v, [...ms]])) }
          : { ...request, members: [...request.members] };
      byQuery.set(key, copy);
      out.push(copy);
    } else if (seen.kind === 'grouped' && request.kind === 'grouped') {
      for (const [v, ms] of request.byValue) seen.byValue.set(v, [...(seen.byValue.get(v) ?? []), ...ms]);
    } else if (seen.kind === 'single' && request.kind === 'single') {
      seen.members.push(...request.members);
    }
  }
  return out;
}

/**
 * A per-refId error status that may come from our grouped rewrite (Prometheus' 400 bad_data, 422
 * execution error), or none given; a 5xx is the datasource's trouble and asking again per stack
 * would only add load.
 */
function isRejection(status: number | undefined): boolean {
  return status === undefined || (status >= 400 && status < 500);
}

/**
 * The query model Grafana hands the datasource. A Prometheus (or Loki) expression goes in `expr` with
 * our step as `interval`/`intervalMs` and `maxDataPoints`, so Grafana keeps our resolution; for any
 * other datasource type the query is that datasource's query model as a JSON object.
 */
export function queryModel(
  query: string,
  refId: string,
  datasource: { uid: string; type: string },
  steps: RangeSteps,
): Record<string, unknown> {
  const common = {
    refId,
    datasource,
    intervalMs: steps.stepMs,
    // Grafana derives a step from range / maxDataPoints; one more point than we need keeps it ≤ ours.
    maxDataPoints: pointCount(steps) + 1,
  };
  const trimmed = query.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    let model: unknown;
    try {
      model = JSON.parse(trimmed);
    } catch {
      model = undefined; // PromQL such as {job="api"} is not JSON
    }
    if (model && typeof model === 'object' && !Array.isArray(model)) return { ...model, ...common };
  }
  if (datasource.type === 'prometheus' || datasource.type === 'loki') {
    return {
      ...common,
      expr: query,
      range: true,
      instant: false,
      ...(datasource.type === 'loki' ? { queryType: 'range' } : { format: 'time_series' }),
      interval: `${steps.stepMs / 1000}s`,
    };
  }
  throw new Error(
    `a ${datasource.type} datasource needs its query model as a JSON object, e.g. {"rawSql": "…"}; got: ${snippet(query, 80)}`,
  );
}

/** An event query as tags: "deploy,service:checkout" means annotations carrying both tags. */
export function parseTags(query: string): string[] {
  return [...new Set(query.split(',').map((t) => t.trim()))].filter((t) => t !== '');
}

interface TaggedQuery extends EventQuery {
  tags: string[];
}

/** One annotations request and the event queries it answers. */
interface EventBatch {
  tags: string[];
  queries: TaggedQuery[];
}

/**
 * Annotation requests for the event queries: per kind, one request with the tags every query of that
 * kind shares (e.g. "deploy"), its answer split locally by each query's full tag list; one request
 * per distinct query when they share no tag.
 */
export function eventBatches(queries: readonly EventQuery[]): {
  batches: EventBatch[];
  invalid: EventQuery[];
} {
  const invalid: EventQuery[] = [];
  const byKind = new Map<string, TaggedQuery[]>();
  for (const q of queries) {
    const tags = parseTags(q.query);
    if (tags.length === 0) invalid.push(q);
    else byKind.set(q.kind, [...(byKind.get(q.kind) ?? []), { ...q, tags }]);
  }
  const batches: EventBatch[] = [];
  for (const qs of byKind.values()) {
    const distinct = new Map<string, TaggedQuery[]>();
    for (const q of qs) {
      const key = [...q.tags].sort().join(',');
      distinct.set(key, [...(distinct.get(key) ?? []), q]);
    }
    const shared = qs.reduce<string[]>((common, q) => common.filter((t) => q.tags.includes(t)), qs[0]!.tags);
    if (distinct.size > 1 && shared.length > 0) batches.push({ tags: shared, queries: qs });
    else for (const group of distinct.values()) batches.push({ tags: group[0]!.tags, queries: group });
  }
  return { batches, invalid };
}

function toEvent(query: TaggedQuery, a: Annotation, baseUrl: string): SourceEvent {
  const text = (a.text ?? '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const title = text ? snippet(text, 200) : (a.tags ?? []).join(', ') || query.kind;
  const url = a.dashboardUID
    ? `${baseUrl.replace(/\/+$/, '')}/d/${encodeURIComponent(a.dashboardUID)}${a.panelId ? `?viewPanel=${a.panelId}` : ''}`
    : undefined;
  return { stackId: query.stackId, kind: query.kind, at: a.time, title, ...(url ? { url } : {}) };
}
