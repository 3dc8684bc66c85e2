/**
 * The Prometheus source: `/api/v1/query_range` over the whole report range in one go, one request per
 * template where a label grouping serves every stack (see promql.ts), else one per distinct query.
 * Prometheus has no events; asking it for some is reported in the source's health.
 */
import type { PrometheusSourceConfig } from '../../config/schema';
import { redact } from '../../errors';
import { safeText } from '../../net/text';
import type {
  MetricSource,
  Point,
  QueryFailure,
  QueryMember,
  Series,
  SourceContext,
  SourceHealth,
  SourcePlan,
  SourceResult,
} from '../types';
import {
  HttpClient,
  RequestFailure,
  authorization,
  credentialForms,
  defaultTimeoutMs,
  distinctErrors,
  mapLimit,
  messageOf,
  statusOf,
} from '../http';
import {
  membersOf,
  planGroup,
  singles,
  splitByLabel,
  type GroupedRequest,
  type SingleRequest,
} from './promql';
import { apiError, rangeQuerySuccess, sampleValue, type MatrixSeries } from './schema';
import { chooseSteps, pointCount } from './step';

/** Requests in flight at once. */
const concurrency = 4;

export function createPrometheusSource(config: PrometheusSourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchPrometheus(config, ctx, plan, signal) };
}

/** What one request's answer turned into. */
interface Outcome {
  series: Series[];
  failures: QueryFailure[];
}

async function fetchPrometheus(
  config: PrometheusSourceConfig,
  ctx: SourceContext,
  plan: SourcePlan,
  signal: AbortSignal,
): Promise<SourceResult> {
  const secrets = credentialForms(config.token);
  const timeoutMs = config.timeoutMs ?? defaultTimeoutMs;
  const http = new HttpClient({
    sourceId: config.id,
    baseUrl: config.url,
    headers: authorization(config.token),
    secrets,
    timeoutMs,
    maxAttempts: config.maxAttempts,
    maxBytes: config.maxResponseBytes,
    deps: ctx,
    readsBody: (status) => status === 400 || status === 422,
    authHint: `check the token of source "${config.id}" (a bearer token, or "user:password" for basic auth)`,
    notFoundHint: `check the url of source "${config.id}" (the Prometheus base URL, without /api/v1)`,
  });
  const steps = chooseSteps(plan.start, plan.end);

  /** One range query; throws RequestFailure (rejected or malformed for answers we cannot use). */
  const queryRange = async (query: string): Promise<MatrixSeries[]> => {
    if (pointCount(steps) === 0) return [];
    const answer = await http.send(
      {
        method: 'POST',
        path: '/api/v1/query_range',
        form: {
          query,
          start: String(steps.firstMs / 1000),
          end: String(steps.lastMs / 1000),
          step: String(steps.stepMs / 1000),
          // Let Prometheus give up when we do, instead of computing an answer nobody reads.
          timeout: `${Math.ceil(timeoutMs / 1000)}s`,
        },
      },
      signal,
    );
    if (answer.status !== 200) {
      const error = apiError.safeParse(answer.body);
      const detail = error.success
        ? safeText(`${error.data.errorType ?? 'error'}: ${error.data.error}`, secrets)
        : 'no error message';
      throw fail('rejected', `query rejected (HTTP ${answer.status} ${detail}): ${query}`, answer.status);
    }
    const parsed = rangeQuerySuccess.safeParse(answer.body);
    if (!parsed.success) {
      throw fail(
        'malformed',
        `unexpected answer to a range query: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    // A warning is the server's text: one line, no escape codes (a "\n::error::" must not become a
    // workflow command), no secret.
    for (const w of parsed.data.warnings ?? [])
      ctx.logger.warn(`source "${config.id}": Prometheus warns: ${safeText(String(w), secrets)}`);
    return parsed.data.data.result;
  };

  const fail = (kind: 'rejected' | 'malformed', message: string, status?: number) =>
    new RequestFailure(config.id, kind, redact(message, secrets), status);

  const toSeries = (member: QueryMember, found: MatrixSeries | undefined): Series => ({
    stackId: member.stackId,
    metricId: member.metricId,
    points: found ? toPoints(found, plan) : [],
    stepMs: steps.stepMs,
  });

  const failed = (members: readonly QueryMember[], error: unknown): Outcome => ({
    series: [],
    failures: members.map((m) => ({ stackId: m.stackId, metricId: m.metricId, error: messageOf(error) })),
  });

  /** Members of one query: no series is a gap (unknown), several is a query that needs aggregating. */
  const assign = (
    members: readonly QueryMember[],
    found: readonly MatrixSeries[],
    shown: string,
  ): Outcome => {
    if (found.length > 1) {
      const error = `source "${config.id}": ${shown} returned ${found.length} series where one is needed; aggregate it, e.g. sum(…)`;
      return failed(members, error);
    }
    return { series: members.map((m) => toSeries(m, found[0])), failures: [] };
  };

  const runSingle = async (request: SingleRequest): Promise<Outcome> => {
    try {
      return assign(request.members, await queryRange(request.query), `the query ${request.query}`);
    } catch (error) {
      return failed(request.members, error);
    }
  };

  const runSingles = async (members: QueryMember[]): Promise<Outcome> => {
    const outcomes = await mapLimit(singles(members), concurrency, runSingle);
    return merge(outcomes);
  };

  const runGrouped = async (request: GroupedRequest): Promise<Outcome> => {
    const members = membersOf(request);
    let result: MatrixSeries[];
    try {
      result = await queryRange(request.query);
    } catch (error) {
      if (!(error instanceof RequestFailure) || error.kind !== 'rejected') return failed(members, error);
      // Rejected: the template itself, or our rewrite of it? One member's own query tells.
      ctx.logger.debug(
        `source "${config.id}": grouped query rejected, trying the stacks' own queries: ${error.message}`,
      );
      const [first, ...rest] = singles(members);
      let firstFound: MatrixSeries[];
      try {
        firstFound = await queryRange(first!.query);
      } catch (firstError) {
        return failed(members, firstError);
      }
      return merge([
        assign(first!.members, firstFound, `the query ${first!.query}`),
        await runSingles(rest.flatMap((r) => r.members)),
      ]);
    }
    const byValue = splitByLabel(request, result, (s) => s.metric);
    if (!byValue) {
      // The label did not survive the expression: fall back to one query per stack.
      ctx.logger.debug(
        `source "${config.id}": answer not split by ${request.label}; one query per stack instead`,
      );
      return runSingles(members);
    }
    return merge(
      [...request.byValue].map(([value, ms]) =>
        assign(ms, byValue.get(value) ?? [], `the query ${ms[0]!.query}`),
      ),
    );
  };

  const requests = plan.groups.flatMap(planGroup);
  const outcome = merge(
    await mapLimit(requests, concurrency, (r) => (r.kind === 'grouped' ? runGrouped(r) : runSingle(r))),
  );

  const errors = distinctErrors(outcome.failures.map((f) => f.error));
  if (plan.events.length > 0) {
    const kinds = [...new Set(plan.events.map((e) => e.kind))].join(' and ');
    const ids = [...new Set(plan.events.map((e) => e.stackId))];
    const stacks =
      ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more stacks`;
    errors.push(
      `source "${config.id}": Prometheus has no events, so ${kinds} for ${stacks} cannot be counted; point events at a grafana or datadog source`,
    );
  }
  const memberCount = plan.groups.reduce((n, g) => n + g.members.length, 0);
  const health: SourceHealth = {
    id: config.id,
    type: 'prometheus',
    status: statusOf(memberCount, outcome.failures.length, errors.length),
    requests: http.requests,
    retries: http.retries,
    errors,
  };
  const eventFailures = plan.events.map((e) => ({
    stackId: e.stackId,
    kind: e.kind,
    error: `source "${config.id}": Prometheus has no events; point ${e.kind} at a grafana or datadog source`,
  }));
  return { series: outcome.series, events: [], failures: outcome.failures, eventFailures, health };
}

function toPoints(series: MatrixSeries, plan: SourcePlan): Point[] {
  const points: Point[] = [];
  for (const [seconds, value] of series.values) {
    const at = Math.round(seconds * 1000);
    if (at >= plan.start && at < plan.end) points.push([at, sampleValue(value)]);
  }
  return points;
}

function merge(outcomes: readonly Outcome[]): Outcome {
  return { series: outcomes.flatMap((o) => o.series), failures: outcomes.flatMap((o) => o.failures) };
}
