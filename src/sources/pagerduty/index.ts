/**
 * The PagerDuty source: who is on call per team at the report time (`GET /oncalls`, by schedule or
 * escalation policy) and the incidents triggered on each stack's service (`GET /incidents`), through
 * the REST API v2 with classic `offset`/`more` pagination. It gives no metrics.
 *
 * It talks through the shared HTTP edge (axios with the one retry policy, timeouts and secret
 * scrubbing) rather than @pagerduty/pdjs: pdjs brings its own fetch, retries and pagination helper
 * that would sit beside ours with different rules for 429s, timeouts and error wording.
 *
 * Failing here never costs the report: on-call becomes "unknown (why)" per team, and each stack's
 * incidents become unknown with the reason (`eventFailures`, rendered "incidents: unknown (search
 * failed)", never "0 incidents"); the metrics do not depend on it.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PagerdutySourceConfig } from '../../config/schema';
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
} from '../http';
import type {
  EventFailure,
  EventQuery,
  MetricSource,
  OnCall,
  SourceContext,
  SourceEvent,
  SourcePlan,
  SourceResult,
} from '../types';
import { incidentsPage, oncallsPage, type Incident, type Oncall } from './schema';

/** Items per page: PagerDuty's largest. */
export const pageLimit = 100;
/** Classic pagination stops at offset 10,000; past it PagerDuty answers 400. */
const maxOffset = 10_000;
/** Service ids per /incidents request, to keep the URL short. */
export const servicesPerRequest = 25;
const concurrency = 3;

export function createPagerdutySource(config: PagerdutySourceConfig, ctx: SourceContext): MetricSource {
  return { id: config.id, fetch: (plan, signal) => fetchPagerduty(config, ctx, plan, signal) };
}

type ListPage<T> = { items: T[]; more: boolean };

async function fetchPagerduty(
  config: PagerdutySourceConfig,
  ctx: SourceContext,
  plan: SourcePlan,
  signal: AbortSignal,
): Promise<SourceResult> {
  const secrets = credentialForms(config.token);
  const http = new HttpClient({
    sourceId: config.id,
    baseUrl: config.url,
    headers: {
      Authorization: `Token token=${config.token}`,
      Accept: 'application/vnd.pagerduty+json;version=2',
    },
    secrets,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    maxBytes: config.maxResponseBytes,
    deps: ctx,
    authHint: `check the token of source "${config.id}": a PagerDuty REST API key (Integrations → API Access Keys; read-only is enough)`,
    notFoundHint: `check the url of source "${config.id}" (https://api.pagerduty.com, or https://api.eu.pagerduty.com) and the ids it names`,
  });
  const malformed = (what: string, issue: string | undefined) =>
    new RequestFailure(
      config.id,
      'malformed',
      redact(`unexpected answer from ${what}: ${issue ?? 'invalid'}`, secrets),
    );

  /** Every page of a list, following `more` (or the recorded answer, its times shifted). */
  const listAll = async <T>(
    path: string,
    params: Record<string, string | readonly string[]>,
    read: (body: unknown) => ListPage<T>,
  ): Promise<T[]> => {
    if (config.recorded) return readRecorded(config, ctx, path, read, plan.end);
    const out: T[] = [];
    for (let offset = 0; ; offset += pageLimit) {
      if (offset >= maxOffset) {
        throw new RequestFailure(
          config.id,
          'rejected',
          `${path} holds more than ${maxOffset} items for this report; narrow it`,
        );
      }
      // PagerDuty wants array filters as `service_ids[]=…` repeated; axios would drop the brackets.
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) {
        for (const v of typeof value === 'string' ? [value] : value) query.append(key, v);
      }
      query.set('limit', String(pageLimit));
      query.set('offset', String(offset));
      const reply = await http.send({ method: 'GET', path, query }, signal);
      const page = read(reply.body);
      out.push(...page.items);
      if (!page.more || page.items.length === 0) return out;
    }
  };

  const reportTime = plan.end;
  const iso = (t: number) => new Date(t).toISOString();

  // On-call: one listing for every schedule, one for every escalation policy, split by team here.
  const wanted = new Set(plan.teams ?? []);
  const teams = Object.entries(config.teams).filter(([team]) => wanted.has(team));
  const scheduleIds = unique(teams.flatMap(([, t]) => ('schedule' in t ? [t.schedule] : [])));
  const policyIds = unique(teams.flatMap(([, t]) => ('escalationPolicy' in t ? [t.escalationPolicy] : [])));
  const readOncalls = (body: unknown): ListPage<Oncall> => {
    const parsed = oncallsPage.safeParse(body);
    if (!parsed.success) throw malformed('/oncalls', parsed.error.issues[0]?.message);
    return { items: parsed.data.oncalls, more: parsed.data.more === true };
  };
  const oncallsBy = async (key: string, ids: string[]): Promise<Oncall[] | RequestFailure> => {
    if (ids.length === 0) return [];
    try {
      return await listAll(
        '/oncalls',
        {
          [key]: ids,
          // Entries overlapping this minute; the one covering the report time is picked below.
          since: iso(reportTime),
          until: iso(reportTime + 60_000),
          time_zone: 'UTC',
        },
        readOncalls,
      );
    } catch (error) {
      return asFailure(config.id, error);
    }
  };

  // Incidents: services in chunks, every page, split by service here.
  const incidentQueries = plan.events.filter((q) => q.kind === 'incidents');
  const services = unique(incidentQueries.map((q) => q.query));
  const chunks: string[][] = [];
  for (let i = 0; i < services.length; i += servicesPerRequest)
    chunks.push(services.slice(i, i + servicesPerRequest));
  const readIncidents = (body: unknown): ListPage<Incident> => {
    const parsed = incidentsPage.safeParse(body);
    if (!parsed.success) throw malformed('/incidents', parsed.error.issues[0]?.message);
    return { items: parsed.data.incidents, more: parsed.data.more === true };
  };
  const events: SourceEvent[] = [];
  const eventFailures: EventFailure[] = [];
  const runIncidents = async (ids: string[]): Promise<void> => {
    const queries = incidentQueries.filter((q) => ids.includes(q.query));
    try {
      const found = await listAll(
        '/incidents',
        {
          'service_ids[]': ids,
          since: iso(plan.eventsStart),
          until: iso(plan.end),
          'statuses[]': ['triggered', 'acknowledged', 'resolved'],
          time_zone: 'UTC',
          sort_by: 'created_at:desc',
        },
        readIncidents,
      );
      for (const incident of found) {
        for (const q of queries) {
          const event = toEvent(incident, q, plan);
          if (event) events.push(event);
        }
      }
    } catch (error) {
      // Those stacks' incidents are unknown, never "0 incidents".
      const message = asFailure(config.id, error).message;
      for (const q of queries) eventFailures.push({ stackId: q.stackId, kind: q.kind, error: message });
    }
  };

  const [bySchedule, byPolicy] = await Promise.all([
    oncallsBy('schedule_ids[]', scheduleIds),
    oncallsBy('escalation_policy_ids[]', policyIds),
    mapLimit(chunks, concurrency, runIncidents),
  ]);

  const onCall: OnCall[] = teams.map(([team, target]): OnCall => {
    const listing = 'schedule' in target ? bySchedule : byPolicy;
    const id = 'schedule' in target ? target.schedule : target.escalationPolicy;
    if (listing instanceof RequestFailure) return { team, names: [], of: id, error: listing.message };
    return onCallOf(team, target, listing, reportTime);
  });
  const onCallErrors = onCall.flatMap((o) => (o.error ? [o.error] : []));

  const errors = distinctErrors([...onCallErrors, ...eventFailures.map((f) => f.error)]);
  return {
    series: [],
    events,
    failures: [],
    eventFailures,
    onCall,
    health: {
      id: config.id,
      type: 'pagerduty',
      status: statusOf(
        teams.length + incidentQueries.length,
        onCallErrors.length + eventFailures.length,
        errors.length,
      ),
      requests: http.requests,
      retries: http.retries,
      errors,
    },
  };
}

/**
 * The people on call for one team at the report time: for a schedule, whoever its entries name; for
 * an escalation policy, its first level (the people paged first). Names only, in PagerDuty's order.
 */
export function onCallOf(
  team: string,
  target: { schedule: string } | { escalationPolicy: string },
  entries: readonly Oncall[],
  at: number,
): OnCall {
  const covering = entries.filter((e) => {
    const start = e.start ? Date.parse(e.start) : -Infinity;
    const end = e.end ? Date.parse(e.end) : Infinity;
    return start <= at && at < end;
  });
  let mine: Oncall[];
  if ('schedule' in target) {
    mine = covering.filter((e) => e.schedule?.id === target.schedule);
  } else {
    const ofPolicy = covering.filter((e) => e.escalation_policy?.id === target.escalationPolicy);
    const first = Math.min(...ofPolicy.map((e) => e.escalation_level ?? 1));
    mine = ofPolicy.filter((e) => (e.escalation_level ?? 1) === first);
  }
  const names = unique(mine.flatMap((e) => (e.user?.summary ? [displayName(e.user.summary)] : [])));
  const label =
    'schedule' in target
      ? (mine[0]?.schedule?.summary ?? target.schedule)
      : (mine[0]?.escalation_policy?.summary ?? target.escalationPolicy);
  return { team, names, of: snippet(label, 80) };
}

function toEvent(
  incident: Incident,
  query: EventQuery,
  range: { eventsStart: number; end: number },
): SourceEvent | undefined {
  if (incident.service.id !== query.query) return undefined;
  const at = Date.parse(incident.created_at);
  if (Number.isNaN(at) || at < range.eventsStart || at >= range.end) return undefined;
  const resolved =
    incident.resolved_at ?? (incident.status === 'resolved' ? incident.last_status_change_at : undefined);
  const resolvedAt = resolved ? Date.parse(resolved) : NaN;
  const title = incident.title ?? incident.summary ?? `incident ${incident.id}`;
  const urgency = incident.urgency === 'high' || incident.urgency === 'low' ? incident.urgency : undefined;
  return {
    stackId: query.stackId,
    kind: 'incidents',
    at,
    title: snippet(incident.incident_number ? `#${incident.incident_number} ${title}` : title, 200),
    ...(incident.html_url && /^https:\/\//.test(incident.html_url) ? { url: incident.html_url } : {}),
    ...(urgency ? { urgency } : {}),
    ...(Number.isFinite(resolvedAt) ? { resolvedAt } : {}),
  };
}

function asFailure(sourceId: string, error: unknown): RequestFailure {
  return error instanceof RequestFailure ? error : new RequestFailure(sourceId, 'network', messageOf(error));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * A person's name as shown: never an email address or a phone number, even when an account's name
 * field holds one (PagerDuty accounts created by invitation may be named by their email).
 */
export function displayName(name: string): string {
  const shown = name
    .replace(/([\w.+-]+)@[\w-]+(\.[\w-]+)+/g, '$1')
    .replace(/\+?\d[\d\s().-]{5,}\d/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return snippet(shown || 'someone', 80);
}

/** Fields holding times in the answers we read. */
const timeFields = ['start', 'end', 'created_at', 'resolved_at', 'last_status_change_at'];

/**
 * A recorded answer (`<dir>/oncalls.json`, `<dir>/incidents.json`: one REST v2 page each) with every
 * time moved by (report time − recorded.at), so a demo shows last night's incident on any day.
 */
async function readRecorded<T>(
  config: PagerdutySourceConfig,
  ctx: SourceContext,
  path: string,
  read: (body: unknown) => ListPage<T>,
  reportTime: number,
): Promise<T[]> {
  const recorded = config.recorded!;
  const file = resolve(ctx.configDir, recorded.dir, `${path.replace(/^\//, '')}.json`);
  let body: unknown;
  try {
    body = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new RequestFailure(
      config.id,
      'malformed',
      `cannot read the recorded answer ${file}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`,
    );
  }
  const shift = reportTime - Date.parse(recorded.at);
  return read(body).items.map((item) => {
    const moved: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const field of timeFields) {
      const value = moved[field];
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
        moved[field] = new Date(Date.parse(value) + shift).toISOString();
    }
    return moved as T;
  });
}
