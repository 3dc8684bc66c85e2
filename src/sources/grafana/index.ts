/**
 * The Grafana source: metrics through `POST /api/ds/query` against one datasource (many refIds per
 * request; for a Prometheus datasource one refId per template grouped by a label, as the prometheus
 * source does, else one per distinct query), deployment and alert markers from `GET /api/annotations`
 * by tag.
 *
 * A 400 (or 207) from /api/ds/query still carries every query's answer: only the refIds whose
 * result holds an `error` fail. Grafana's service account token is sent as a bearer token.
 *
 * The parts: query-plan.ts (refIds and query models), frames.ts (data frames of every shape to
 * series), annotations.ts (deployment and alert markers); this file runs them and keeps the health.
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
  statusOf,
} from '../http';
import { membersOf, planGroup, singles, splitByLabel, type PromRequest } from '../prometheus/promql';
import { chooseSteps } from '../prometheus/step';
import type {
  MetricSource,
  QueryFailure,
  QueryMember,
  Series,
  SourceContext,
  SourcePlan,
  SourceResult,
} from '../types';
import { annotationEvents } from './annotations';
import { FrameError, readFrames, type FrameSeries } from './frames';
import { chunked, isRejection, queryModel, shareQueries, type Job } from './query-plan';
import { apiError, queryResponse, type QueryResult } from './schema';

/** Requests in flight at once. */
const concurrency = 4;

export function createGrafanaSource(config: GrafanaSourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchGrafana(config, ctx, plan, signal) };
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

  const annotations = annotationEvents({
    sourceId: config.id,
    baseUrl: config.url,
    http,
    plan,
    signal,
    fail,
  });

  await mapLimit<() => Promise<void>, void>(
    [...chunks.map((c) => () => runChunk(c)), ...annotations.tasks],
    concurrency,
    (task) => task(),
  );
  // Every grouped refId that fell back, together: as few requests as the chunking allows.
  await mapLimit(chunked(toJobs(singles(fallback))), concurrency, runChunk);

  const memberCount = members.length;
  const { events, eventFailures, errors: eventErrors } = annotations;
  const errors = distinctErrors([...failures.map((f) => f.error), ...eventErrors]);
  return {
    series,
    events,
    failures,
    eventFailures,
    health: {
      id: config.id,
      type: 'grafana',
      status: statusOf(
        memberCount + plan.events.length,
        failures.length + eventFailures.length,
        errors.length,
      ),
      requests: http.requests,
      retries: http.retries,
      errors,
    },
  };
}
