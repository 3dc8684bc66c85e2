/**
 * The Grafana source: metrics through `POST /api/ds/query` against one datasource (many refIds per
 * request, one per distinct query), deployment and alert markers from `GET /api/annotations` by tag.
 *
 * A 400 (or 207) from /api/ds/query still carries every query's answer: only the refIds whose
 * result holds an `error` fail. Grafana's service account token is sent as a bearer token.
 */
import type { GrafanaSourceConfig } from '../../config/schema';
import { redact } from '../../errors';
import {
  HttpClient,
  RequestFailure,
  credentialForms,
  distinctErrors,
  mapLimit,
  messageOf,
  snippet,
  statusOf,
} from '../prometheus/http';
import { chooseSteps, pointCount, type RangeSteps } from '../prometheus/step';
import type {
  EventQuery,
  MetricSource,
  Point,
  QueryFailure,
  QueryMember,
  Series,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import {
  annotations,
  apiError,
  queryResponse,
  type Annotation,
  type DataFrame,
  type QueryResult,
} from './schema';

/** refIds per /api/ds/query request: Grafana runs them concurrently; more makes one slow answer. */
export const queriesPerRequest = 20;
/** Requests in flight at once. */
const concurrency = 4;
/** Annotations asked for per request; an answer this long may be cut short. */
export const annotationLimit = 5000;

export function createGrafanaSource(config: GrafanaSourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchGrafana(config, ctx, plan, signal) };
}

/** A distinct query and the members it feeds. */
interface Job {
  refId: string;
  query: string;
  members: QueryMember[];
}

/** One value field of a frame: a series with its labels. */
interface FrameSeries {
  labels: Record<string, string>;
  points: Point[];
  stepMs?: number;
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

  // One refId per distinct query; stacks with the same query share it.
  const byQuery = new Map<string, QueryMember[]>();
  for (const m of plan.groups.flatMap((g) => g.members))
    byQuery.set(m.query, [...(byQuery.get(m.query) ?? []), m]);
  const jobs: Job[] = [];
  const models = new Map<string, Record<string, unknown>>();
  for (const [query, members] of byQuery) {
    const refId = `q${jobs.length + 1}`;
    try {
      models.set(refId, queryModel(query, refId, config.datasource, steps));
      jobs.push({ refId, query, members });
    } catch (error) {
      failMembers(members, fail('rejected', messageOf(error)));
    }
  }

  const answer = (job: Job, result: QueryResult | undefined): void => {
    if (!result) return failMembers(job.members, fail('malformed', `no answer for the query ${job.query}`));
    if (result.error) {
      const status = result.status ? ` (HTTP ${result.status})` : '';
      return failMembers(
        job.members,
        fail('rejected', `the query ${job.query} failed${status}: ${snippet(result.error)}`, result.status),
      );
    }
    const found = framesToSeries(result.frames ?? [], plan);
    if (found.length > 1) {
      const error = `the query ${job.query} returned ${found.length} series where one is needed; aggregate it, e.g. sum(…)`;
      return failMembers(job.members, fail('rejected', error));
    }
    for (const m of job.members) {
      series.push({
        stackId: m.stackId,
        metricId: m.metricId,
        points: found[0]?.points ?? [],
        stepMs: found[0]?.stepMs ?? steps.stepMs,
      });
    }
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
          throw fail('rejected', `POST /api/ds/query: HTTP 400: ${error.data.message ?? 'bad request'}`, 400);
        }
        throw fail(
          'malformed',
          `unexpected answer from /api/ds/query (HTTP ${reply.status}): ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      for (const job of chunk) answer(job, parsed.data.results[job.refId]);
    } catch (error) {
      failMembers(
        chunk.flatMap((j) => j.members),
        error,
      );
    }
  };

  const chunks: Job[][] = [];
  for (let i = 0; i < jobs.length; i += queriesPerRequest) chunks.push(jobs.slice(i, i + queriesPerRequest));

  const eventErrors: string[] = [];
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
    }
  };

  const { batches, invalid } = eventBatches(plan.events);
  for (const q of invalid) {
    failedEventQueries++;
    eventErrors.push(
      `source "${config.id}": the ${q.kind} query "${q.query}" of stack ${q.stackId} names no tag; give a comma-separated tag list, e.g. "deploy,service:checkout"`,
    );
  }

  await mapLimit<() => Promise<void>, void>(
    [...chunks.map((c) => () => runChunk(c)), ...batches.map((b) => () => runEvents(b))],
    concurrency,
    (task) => task(),
  );

  const memberCount = plan.groups.reduce((n, g) => n + g.members.length, 0);
  const errors = distinctErrors([...failures.map((f) => f.error), ...eventErrors]);
  return {
    series,
    events,
    failures,
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

/** Every value field (type number) of every frame with rows, as a series over [start, end). */
export function framesToSeries(
  frames: readonly DataFrame[],
  range: { start: number; end: number },
): FrameSeries[] {
  const out: FrameSeries[] = [];
  for (const frame of frames) {
    const fields = frame.schema?.fields ?? [];
    const columns = frame.data?.values ?? [];
    const timeIndex = fields.findIndex((f) => f.type === 'time');
    const times = (timeIndex >= 0 ? columns[timeIndex] : undefined) ?? [];
    if (times.length === 0) continue;
    fields.forEach((field, i) => {
      if (field.type !== 'number') return;
      const column = columns[i] ?? [];
      const entities = frame.data?.entities?.[i];
      const special = new Set([
        ...(entities?.NaN ?? []),
        ...(entities?.Inf ?? []),
        ...(entities?.NegInf ?? []),
      ]);
      const points: Point[] = [];
      times.forEach((t, row) => {
        const at = toEpochMs(t);
        if (at === undefined || at < range.start || at >= range.end) return;
        const v = column[row];
        points.push([at, !special.has(row) && typeof v === 'number' && Number.isFinite(v) ? v : null]);
      });
      const interval = fields[timeIndex]?.config?.interval;
      out.push({ labels: field.labels ?? {}, points, ...(interval ? { stepMs: interval } : {}) });
    });
  }
  return out;
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : at;
  }
  return undefined;
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
