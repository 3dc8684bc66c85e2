/**
 * The Splunk source: SPL searches through the search export endpoint
 * (`POST /services/search/v2/jobs/export`, `output_mode=json`), which runs the search and streams
 * its results in one request, with no job to create and poll. The answer is read line by line as it
 * arrives (see export.ts).
 *
 * Stacks sharing a template are asked in one search split `by <field>` (spl.ts), as Datadog's
 * grouped query does; when Splunk rejects that search or its answer cannot be mapped back to the
 * stacks, those stacks are asked one search each. Deployments and alerts are SPL searches returning
 * `_time` and a title, grouped the same way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SplunkSourceConfig } from '../../config/schema';
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
  type TlsSettings,
} from '../http';
import type {
  EventFailure,
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
import { safeText } from '../../net/text';
import { readExport } from './export';
import {
  membersOf,
  planSearches,
  singleSearches,
  splitRows,
  valueColumns,
  type PlannedSearch,
  type Row,
} from './spl';

/**
 * Searches in flight at once. A Splunk user role's default quota is 3 concurrent historical
 * searches (srchJobsQuota); going past it gets searches queued or refused.
 */
const concurrency = 3;
/** Per request: the search runs while the answer streams, so this is longer than other sources'. */
export const splunkTimeoutMs = 120_000;

export function createSplunkSource(config: SplunkSourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchSplunk(config, ctx, plan, signal) };
}

/** The REST path prefix: the global namespace, or the app/owner the searches should run in. */
export function exportPath(config: Pick<SplunkSourceConfig, 'app' | 'owner'>): string {
  if (!config.app && !config.owner) return '/services/search/v2/jobs/export';
  const owner = encodeURIComponent(config.owner ?? 'nobody');
  const app = encodeURIComponent(config.app ?? 'search');
  return `/servicesNS/${owner}/${app}/search/v2/jobs/export`;
}

function tlsOf(config: SplunkSourceConfig, configDir: string): TlsSettings | undefined {
  if (!config.tls) return undefined;
  const path = config.tls.caFile ? resolve(configDir, config.tls.caFile) : undefined;
  let ca: string | undefined;
  if (path) {
    try {
      ca = readFileSync(path, 'utf8');
    } catch (error) {
      throw new RequestFailure(
        config.id,
        'rejected',
        `cannot read tls.caFile ${path}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`,
      );
    }
  }
  return { ...(ca ? { ca } : {}), ...(config.tls.insecure ? { insecure: true } : {}) };
}

async function fetchSplunk(
  config: SplunkSourceConfig,
  ctx: SourceContext,
  plan: SourcePlan,
  signal: AbortSignal,
): Promise<SourceResult> {
  const secrets = credentialForms(config.token);
  const scrub = (text: string) => redact(text, secrets);
  const path = exportPath(config);
  const tls = tlsOf(config, ctx.configDir);
  const http = new HttpClient({
    sourceId: config.id,
    baseUrl: config.url,
    headers: { Authorization: `Bearer ${config.token}` },
    secrets,
    timeoutMs: config.timeoutMs ?? splunkTimeoutMs,
    maxAttempts: config.maxAttempts,
    maxBytes: config.maxResponseBytes,
    deps: ctx,
    ...(tls ? { tls } : {}),
    authHint: `check the token of source "${config.id}": a Splunk authentication token (Settings → Tokens) of a user whose role may search the indexes the queries name`,
    notFoundHint: `check the url of source "${config.id}" (the management port, usually :8089)${config.app || config.owner ? ` and its app "${config.app ?? 'search'}" / owner "${config.owner ?? 'nobody'}"` : ''}`,
  });

  const search = async (text: string, earliest: number): Promise<Row[]> => {
    const answer = await http.sendLines(
      {
        method: 'POST',
        path,
        form: {
          search: text,
          output_mode: 'json',
          earliest_time: String(Math.floor(earliest / 1000)),
          latest_time: String(Math.ceil(plan.end / 1000)),
        },
      },
      signal,
      (lines) => readExport(config.id, lines, secrets),
    );
    for (const w of answer.warnings)
      ctx.logger.warn(`source "${config.id}": Splunk warns: ${safeText(w, secrets, 300)}`);
    return answer.rows;
  };
  const reject = (message: string) => new RequestFailure(config.id, 'rejected', scrub(message));

  const series: Series[] = [];
  const failures: QueryFailure[] = [];
  const failMembers = (members: readonly QueryMember[], error: unknown) => {
    for (const m of members)
      failures.push({ stackId: m.stackId, metricId: m.metricId, error: messageOf(error) });
  };
  const fallback: QueryMember[] = [];

  const assignSeries = (members: readonly QueryMember[], rows: readonly Row[], query: string) => {
    try {
      const { points, stepMs } = rowsToPoints(rows, plan, query);
      for (const m of members)
        series.push({ stackId: m.stackId, metricId: m.metricId, points, ...(stepMs ? { stepMs } : {}) });
    } catch (error) {
      failMembers(members, reject(messageOf(error)));
    }
  };

  const runMetrics = async (planned: PlannedSearch<QueryMember>): Promise<void> => {
    let rows: Row[];
    try {
      rows = await search(planned.search, plan.start);
    } catch (error) {
      if (planned.kind === 'grouped' && isRejection(error)) {
        ctx.logger.debug(
          `source "${config.id}": grouped search by ${planned.field} failed (${messageOf(error)}); one search per stack instead`,
        );
        fallback.push(...membersOf(planned));
        return;
      }
      return failMembers(membersOf(planned), error);
    }
    if (planned.kind === 'single') return assignSeries(planned.members, rows, planned.search);
    // Several value columns are the template's doing: asking per stack would only repeat it.
    if (planned.shape === 'long' && valueColumns(rows).filter((c) => c !== planned.field).length > 1)
      return assignSeries(membersOf(planned), rows, planned.search);
    const split = splitRows(planned.shape, planned.field, new Set(planned.byValue.keys()), rows);
    if ('unmappable' in split) {
      ctx.logger.debug(
        `source "${config.id}": the answer split by ${planned.field} holds ${split.unmappable}; one search per stack instead`,
      );
      fallback.push(...membersOf(planned));
      return;
    }
    for (const [value, members] of planned.byValue)
      assignSeries(members, split.byValue.get(value) ?? [], members[0]!.query);
  };

  const events: SourceEvent[] = [];
  // A failed event search leaves its stacks' counts unknown (never 0 deployments).
  const eventFailures: EventFailure[] = [];
  const eventFallback: EventQuery[] = [];
  const failEvents = (queries: readonly EventQuery[], error: unknown) => {
    for (const q of queries)
      eventFailures.push({ stackId: q.stackId, kind: q.kind, error: messageOf(error) });
  };
  const addEvents = (queries: readonly EventQuery[], rows: readonly Row[]) => {
    for (const q of queries) {
      for (const row of rows) {
        const event = rowToEvent(row, q, plan);
        if (event) events.push(event);
      }
    }
  };
  const runEvents = async (planned: PlannedSearch<EventQuery>): Promise<void> => {
    let rows: Row[];
    try {
      rows = await search(planned.search, plan.eventsStart);
    } catch (error) {
      if (planned.kind === 'grouped' && isRejection(error)) {
        eventFallback.push(...membersOf(planned));
        return;
      }
      return failEvents(membersOf(planned), error);
    }
    if (planned.kind === 'single') return addEvents(planned.members, rows);
    const split = splitRows('long', planned.field, new Set(planned.byValue.keys()), rows);
    if ('unmappable' in split) {
      eventFallback.push(...membersOf(planned));
      return;
    }
    for (const [value, queries] of planned.byValue) addEvents(queries, split.byValue.get(value) ?? []);
  };

  const metricSearches = plan.groups.flatMap((g) => planSearches(g.template, g.members, 'metrics'));
  const eventSearches = eventGroups(plan.events).flatMap((qs) =>
    planSearches(qs[0]!.template ?? qs[0]!.query, qs, 'events'),
  );
  await mapLimit<() => Promise<void>, void>(
    [...metricSearches.map((s) => () => runMetrics(s)), ...eventSearches.map((s) => () => runEvents(s))],
    concurrency,
    (task) => task(),
  );
  await mapLimit<() => Promise<void>, void>(
    [
      ...singleSearches(fallback).map((s) => () => runMetrics(s)),
      ...singleSearches(eventFallback).map((s) => () => runEvents(s)),
    ],
    concurrency,
    (task) => task(),
  );

  const members = plan.groups.reduce((n, g) => n + g.members.length, 0);
  const errors = distinctErrors([...failures, ...eventFailures].map((f) => f.error));
  return {
    series,
    events,
    failures,
    eventFailures,
    health: {
      id: config.id,
      type: 'splunk',
      status: statusOf(members + plan.events.length, failures.length + eventFailures.length, errors.length),
      requests: http.requests,
      retries: http.retries,
      errors,
    },
  };
}

/**
 * A 4xx (bad SPL, an unknown command option) or a FATAL/ERROR message: perhaps our split made the
 * search wrong, so the stacks' own searches decide. Auth, 5xx, timeouts, cut answers and a refused
 * redirect to another host are the server's doing and would only repeat.
 */
function isRejection(error: unknown): boolean {
  if (!(error instanceof RequestFailure) || error.kind !== 'rejected') return false;
  return error.status === undefined || error.status < 300 || error.status >= 400;
}

/** Event queries by kind and template: each bunch may become one search. */
function eventGroups(queries: readonly EventQuery[]): EventQuery[][] {
  const groups = new Map<string, EventQuery[]>();
  for (const q of queries) {
    const key = `${q.kind}\u0000${q.template ?? q.query}`;
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  return [...groups.values()];
}

/**
 * Points from result rows: `_time` and the single value column. Splunk sends values as strings;
 * an empty bucket (no field, "", a non-number) is a gap, never a zero. Several value columns are an
 * error the user must fix in the query.
 */
export function rowsToPoints(
  rows: readonly Row[],
  range: { start: number; end: number },
  query: string,
): { points: Point[]; stepMs?: number } {
  const columns = valueColumns(rows);
  if (columns.length > 1) {
    throw new Error(
      `the search ${snippet(query, 160)} returned ${columns.length} value columns (${columns
        .slice(0, 5)
        .join(
          ', ',
        )}${columns.length > 5 ? ', …' : ''}) where one is needed: keep one (| fields _time <value>), or split by a field the stacks differ in`,
    );
  }
  const column = columns[0];
  const points: Point[] = [];
  let spanSeconds: number | undefined;
  for (const row of rows) {
    const at = toEpochMs(row._time);
    if (at === undefined) {
      throw new Error(
        `the search ${snippet(query, 160)} returned a row without a readable _time; end it in timechart, or | mstats … span=`,
      );
    }
    if (at < range.start || at >= range.end) continue;
    const raw = column === undefined ? undefined : row[column];
    const value =
      typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : typeof raw === 'number' ? raw : NaN;
    points.push([at, Number.isFinite(value) ? value : null]);
    const span = Number(row._span);
    if (spanSeconds === undefined && Number.isFinite(span) && span > 0) spanSeconds = span;
  }
  points.sort((a, b) => a[0] - b[0]);
  return { points, ...(spanSeconds ? { stepMs: spanSeconds * 1000 } : {}) };
}

/** `_time` as Splunk writes it (ISO with offset, e.g. 2026-11-25T08:00:00.000+01:00) or epoch seconds. */
function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/** Fields a title is taken from, in order; else the first other field, else _raw. */
const titleFields = ['title', 'message', 'description', 'name'];

function rowToEvent(
  row: Row,
  query: EventQuery,
  range: { eventsStart: number; end: number },
): SourceEvent | undefined {
  const at = toEpochMs(row._time);
  if (at === undefined || at < range.eventsStart || at >= range.end) return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : undefined);
  const named = titleFields.map((f) => text(row[f])).find((t) => t);
  const other = Object.entries(row).find(([k, v]) => !k.startsWith('_') && k !== 'url' && text(v))?.[1];
  const title = named ?? text(other) ?? text(row._raw) ?? query.kind;
  const url = text(row.url) ?? text(row.link);
  return {
    stackId: query.stackId,
    kind: query.kind,
    at,
    title: snippet(title, 200),
    ...(url && /^https?:\/\//i.test(url) ? { url } : {}),
  };
}
