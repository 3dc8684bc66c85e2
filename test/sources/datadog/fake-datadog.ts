/**
 * A real HTTP server on 127.0.0.1 that speaks the parts of Datadog's API the adapter uses —
 * POST /api/v2/query/timeseries, GET /api/v1/query, GET /api/v2/events, GET /api/v1/validate — with bodies built from the
 * recorded answers in ./fixtures. Tests script failures with `intercept` and read `requests`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import v1Fixture from './fixtures/v1-query.json';
import v2EventFixture from './fixtures/v2-event.json';
import v2EventsEmptyFixture from './fixtures/v2-events-empty.json';
import v2Fixture from './fixtures/v2-query-timeseries.json';

export const apiKey = 'dd-api-key-0123456789abcdef';
export const appKey = 'dd-app-key-fedcba9876543210';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (for malformed bodies). */
  raw?: string;
  /** Never answer (the socket stays open until the server closes). */
  hang?: boolean;
}

/** A Datadog event as the fake stores it. */
export interface FakeEvent {
  id: string;
  at: number;
  title: string;
  tags: string[];
}

/** The value of a series at time t; null leaves a gap. Deterministic, so tests can predict it. */
export function valueAt(metric: string, group: string, t: number, stepMs: number): number | null {
  const bucket = Math.floor(t / stepMs);
  if (bucket % 37 === 0) return null;
  let h = 0;
  for (const c of `${metric}|${group}`) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return h + (bucket % 10) / 10;
}

/** What the fake understands of a metric query. */
export function parseQuery(query: string): {
  metric: string;
  scope: string;
  by?: string;
  values: string[];
  rollupSec?: number;
} {
  const metric = /^(?:[a-z0-9]+:)?([A-Za-z0-9_.]+)\{/.exec(query)?.[1] ?? query;
  const scope = /\{([^}]*)\}/.exec(query)?.[1] ?? '';
  const by = /\}\s*by\s*\{([^}]+)\}/.exec(query)?.[1];
  const values = by
    ? (new RegExp(`${by.replace(/[.]/g, '\\.')} IN \\(([^)]*)\\)`).exec(scope)?.[1] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [];
  const rollup = /\.rollup\((?:[a-z]+,\s*)?(\d+)\)/.exec(query)?.[1];
  return { metric, scope, by, values, rollupSec: rollup ? Number(rollup) : undefined };
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

export class FakeDatadog {
  readonly requests: SeenRequest[] = [];
  /** Return a Reply to answer instead of the normal behaviour, or undefined to carry on. */
  intercept?: (req: SeenRequest, n: number) => Reply | undefined;
  /** Datadog widens the interval to at least this (ms). */
  minIntervalMs = 0;
  /** Largest events page the fake serves, whatever page[limit] asks. */
  maxEventPage = 1000;
  events: FakeEvent[] = [];
  /** Rate-limit headers on every answer; `remaining` counts down per request. */
  rate = { limit: 1000, period: 10, remaining: 1000, reset: 10 };
  /**
   * Recorded points to serve instead of `valueAt` (metric name, tag value or scope → points). The
   * answer's `times` is then the union of their timestamps, as Datadog's is.
   */
  seriesData?: (metric: string, group: string) => [number, number | null][] | undefined;
  /** Generated values instead of `valueAt` (the bench draws a fleet with daily cycles and incidents). */
  values?: (metric: string, group: string, t: number, stepMs: number) => number | null;
  /** Milliseconds every answer waits, as a real API's round trip does (the bench uses 150). */
  latencyMs = 0;
  /** Series the fake refuses to compute: a query mentioning one of these answers 400. */
  badMetrics = new Set<string>();
  private server?: Server;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  metricRequests(): SeenRequest[] {
    return this.requests.filter((r) => r.path === '/api/v2/query/timeseries' || r.path === '/api/v1/query');
  }

  eventRequests(): SeenRequest[] {
    return this.requests.filter((r) => r.path === '/api/v2/events');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(seen);
    this.rate.remaining = Math.max(0, this.rate.remaining - 1);
    const reply = this.intercept?.(seen, this.requests.length) ?? this.answer(seen);
    if (reply.hang) return;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-ratelimit-limit': String(this.rate.limit),
      'x-ratelimit-period': String(this.rate.period),
      'x-ratelimit-remaining': String(this.rate.remaining),
      'x-ratelimit-reset': String(this.rate.reset),
      'x-ratelimit-name': seen.path === '/api/v2/events' ? 'events_list' : 'query',
      ...reply.headers,
    };
    res.writeHead(reply.status, headers);
    res.end(reply.raw ?? JSON.stringify(reply.json ?? {}));
  }

  private answer(req: SeenRequest): Reply {
    // Like Datadog's: checks the API key only (the application key is not needed to validate).
    if (req.method === 'GET' && req.path === '/api/v1/validate') {
      return req.headers['dd-api-key'] === apiKey
        ? { status: 200, json: { valid: true } }
        : { status: 403, json: { errors: ['Forbidden'] } };
    }
    if (req.headers['dd-api-key'] !== apiKey || req.headers['dd-application-key'] !== appKey) {
      return { status: 403, json: { errors: ['Forbidden'] } };
    }
    if (req.method === 'POST' && req.path === '/api/v2/query/timeseries') return this.timeseries(req);
    if (req.method === 'GET' && req.path === '/api/v1/query') return this.v1Query(req);
    if (req.method === 'GET' && req.path === '/api/v2/events') return this.eventsPage(req);
    return { status: 404, json: { errors: ['Not found'] } };
  }

  private widen(requestedMs: number, from: number, to: number): number {
    let step = Math.max(requestedMs, this.minIntervalMs, 1000);
    while ((to - from) / step > 1500) step *= 2;
    return step;
  }

  private timeseries(req: SeenRequest): Reply {
    const a = (
      req.body as {
        data: {
          attributes: {
            from: number;
            to: number;
            interval?: number;
            queries: { name: string; query: string }[];
          };
        };
      }
    ).data.attributes;
    const bad = a.queries.find((q) => [...this.badMetrics].some((m) => q.query.includes(m)));
    if (bad) return { status: 400, json: { errors: [`Error parsing query: ${bad.query}`] } };
    if (this.seriesData) return this.recordedTimeseries(a);
    const step = this.widen(a.interval ?? 60_000, a.from, a.to);
    const times: number[] = [];
    for (let t = Math.ceil(a.from / step) * step; t < a.to; t += step) times.push(t);
    const body = clone(v2Fixture) as {
      data: { attributes: { series: unknown[]; times: number[]; values: (number | null)[][] } };
    };
    const unit = clone(v1Fixture.series[0]?.unit);
    body.data.attributes.series = [];
    body.data.attributes.values = [];
    body.data.attributes.times = times;
    a.queries.forEach((q, index) => {
      const p = parseQuery(q.query);
      const groups = p.by
        ? p.values.map((v) => ({ tags: [`${p.by}:${v}`], key: v }))
        : [{ tags: [], key: p.scope }];
      for (const g of groups) {
        body.data.attributes.series.push({ group_tags: g.tags, query_index: index, unit });
        const value = this.values ?? valueAt;
        body.data.attributes.values.push(times.map((t) => value(p.metric, g.key, t, step)));
      }
    });
    return { status: 200, json: body };
  }

  private recordedTimeseries(a: { from: number; to: number; queries: { query: string }[] }): Reply {
    const found: { tags: string[]; index: number; points: Map<number, number | null> }[] = [];
    for (const [index, q] of a.queries.entries()) {
      const p = parseQuery(q.query);
      const groups = p.by
        ? p.values.map((v) => ({ tags: [`${p.by}:${v}`], key: v }))
        : [{ tags: [], key: p.scope }];
      for (const g of groups) {
        const points = (this.seriesData?.(p.metric, g.key) ?? []).filter(([t]) => t >= a.from && t < a.to);
        if (points.length > 0) found.push({ tags: g.tags, index, points: new Map(points) });
      }
    }
    const times = [...new Set(found.flatMap((f) => [...f.points.keys()]))].sort((x, y) => x - y);
    const body = clone(v2Fixture) as {
      data: { attributes: { series: unknown[]; times: number[]; values: (number | null)[][] } };
    };
    const unit = clone(v1Fixture.series[0]?.unit);
    body.data.attributes.times = times;
    body.data.attributes.series = found.map((f) => ({ group_tags: f.tags, query_index: f.index, unit }));
    body.data.attributes.values = found.map((f) => times.map((t) => f.points.get(t) ?? null));
    return { status: 200, json: body };
  }

  private v1Query(req: SeenRequest): Reply {
    const from = Number(req.query.get('from')) * 1000;
    const to = Number(req.query.get('to')) * 1000;
    const query = req.query.get('query') ?? '';
    const p = parseQuery(query);
    const step = this.widen((p.rollupSec ?? 300) * 1000, from, to);
    const body = clone(v1Fixture) as unknown as Record<string, unknown> & {
      series: Record<string, unknown>[];
    };
    const template = clone(v1Fixture.series[0]) as Record<string, unknown>;
    const groups = p.by
      ? p.values.map((v) => ({ tags: [`${p.by}:${v}`], key: v }))
      : [{ tags: [], key: p.scope }];
    body.from_date = from;
    body.to_date = to;
    body.query = query;
    body.group_by = p.by ? [p.by] : [];
    body.series = groups.map((g) => {
      const pointlist: [number, number | null][] = [];
      for (let t = Math.ceil(from / step) * step; t < to; t += step)
        pointlist.push([t, valueAt(p.metric, g.key, t, step)]);
      return {
        ...template,
        metric: p.metric,
        display_name: p.metric,
        expression: query,
        scope: g.tags.join(',') || p.scope,
        tag_set: g.tags,
        interval: step / 1000,
        length: pointlist.length,
        start: pointlist[0]?.[0] ?? from,
        end: (pointlist.at(-1)?.[0] ?? to) + step - 1000,
        pointlist,
        query_index: 0,
      };
    });
    return { status: 200, json: body };
  }

  private eventsPage(req: SeenRequest): Reply {
    const query = req.query.get('filter[query]') ?? '';
    const from = Number(req.query.get('filter[from]'));
    const to = Number(req.query.get('filter[to]'));
    const limit = Math.min(Number(req.query.get('page[limit]') ?? 10), this.maxEventPage);
    const offset = Number(req.query.get('page[cursor]') ?? 0);
    // Every term must match a tag; `key:(a OR b)` matches any of the values.
    const terms = query.split(/\s+(?![^(]*\))/).filter(Boolean);
    const matches = (e: FakeEvent) =>
      terms.every((term) => {
        const m = /^([^:]+):\((.*)\)$/.exec(term);
        const options = m ? m[2]!.split(' OR ').map((v) => `${m[1]}:${v.trim()}`) : [term];
        return options.some((o) => e.tags.includes(o));
      });
    const hits = this.events
      .filter((e) => e.at >= from && e.at <= to && matches(e))
      .sort((a, b) => a.at - b.at);
    const page = hits.slice(offset, offset + limit);
    if (page.length === 0) return { status: 200, json: clone(v2EventsEmptyFixture) };
    const data = page.map((e) => {
      const item = clone(v2EventFixture);
      item.id = e.id;
      item.attributes.timestamp = new Date(e.at).toISOString();
      item.attributes.message = `%%% \n${e.title}\n %%%`;
      item.attributes.tags = e.tags;
      item.attributes.attributes.title = e.title;
      item.attributes.attributes.timestamp = e.at;
      item.attributes.attributes.tags = e.tags;
      return item;
    });
    const more = offset + limit < hits.length;
    return {
      status: 200,
      json: {
        data,
        meta: {
          page: more ? { after: String(offset + limit) } : {},
          elapsed: 12,
          request_id: 'req',
          status: 'done',
        },
        links: more ? { next: `${this.url}/api/v2/events?page[cursor]=${offset + limit}` } : {},
      },
    };
  }
}
