/**
 * Deployment and alert markers from Grafana's `GET /api/annotations`, by tag: one request per kind
 * with the tags every query shares, split locally by each query's own tags. A search that fails
 * leaves its stacks' counts unknown (eventFailures), never zero.
 */
import type { HttpClient, RequestFailure } from '../http';
import { messageOf, snippet } from '../http';
import type { EventFailure, EventQuery, SourceEvent, SourcePlan } from '../types';
import { annotations as annotationsSchema, type Annotation } from './schema';

/** Annotations asked for per request; an answer this long may be cut short. */
export const annotationLimit = 5000;

export interface AnnotationEvents {
  /** Requests to run (in the source's pool); they never throw. */
  tasks: (() => Promise<void>)[];
  /** Filled in as the tasks run. */
  events: SourceEvent[];
  eventFailures: EventFailure[];
  errors: string[];
}

export function annotationEvents(o: {
  sourceId: string;
  baseUrl: string;
  http: HttpClient;
  plan: SourcePlan;
  signal: AbortSignal;
  fail: (kind: 'rejected' | 'malformed', message: string) => RequestFailure;
}): AnnotationEvents {
  const { plan, http, signal, fail } = o;
  const config = { id: o.sourceId, url: o.baseUrl };
  const eventErrors: string[] = [];
  const eventFailures: EventFailure[] = [];
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
    const parsed = annotationsSchema.safeParse(reply.body);
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
      eventErrors.push(messageOf(error));
      for (const q of batch.queries)
        eventFailures.push({ stackId: q.stackId, kind: q.kind, error: messageOf(error) });
    }
  };

  const { batches, invalid } = eventBatches(plan.events);
  for (const q of invalid) {
    const error = `source "${config.id}": the ${q.kind} query "${q.query}" of stack ${q.stackId} names no tag; give a comma-separated tag list, e.g. "deploy,service:checkout"`;
    eventErrors.push(error);
    eventFailures.push({ stackId: q.stackId, kind: q.kind, error });
  }

  return { tasks: batches.map((b) => () => runEvents(b)), events, eventFailures, errors: eventErrors };
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
