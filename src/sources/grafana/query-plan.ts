/**
 * What to ask Grafana's /api/ds/query: one refId per distinct query (or per template grouped by a
 * label, for a Prometheus datasource), the query model each refId carries, and how many refIds share
 * one request.
 */
import { snippet } from '../http';
import type { PromRequest } from '../prometheus/promql';
import type { RangeSteps } from '../prometheus/step';
import { pointCount } from '../prometheus/step';

/** refIds per /api/ds/query request: Grafana runs them concurrently; more makes one slow answer. */
export const queriesPerRequest = 20;

/** One refId: a distinct query, or a template grouped by a label, and the members it feeds. */
export interface Job {
  refId: string;
  request: PromRequest;
}

/** Jobs in requests of at most `queriesPerRequest` refIds. */
export function chunked(jobs: readonly Job[]): Job[][] {
  const chunks: Job[][] = [];
  for (let i = 0; i < jobs.length; i += queriesPerRequest) chunks.push(jobs.slice(i, i + queriesPerRequest));
  return chunks;
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
export function isRejection(status: number | undefined): boolean {
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
