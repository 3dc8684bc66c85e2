/**
 * A local server speaking the two Grafana endpoints the grafana source uses, the way Grafana does
 * (plus `GET /api/health` and `GET /api/datasources/uid/:uid`, which doctor checks):
 *
 * - `POST /api/ds/query`: bearer token check (401 as Grafana words it), datasource lookup by uid
 *   (404 "Data source not found"), then each query is run against a real Prometheus the way Grafana's
 *   Prometheus datasource runs it (step from intervalMs / maxDataPoints / the 11,000-point safety
 *   limit, rounded like Grafana, start and end aligned to the step) and answered as data frames:
 *   `schema.fields` = [Time (type time, config.interval = step), Value (type number, labels)],
 *   `data.values` columns, NaN/±Inf sent as null with their rows in `data.entities`. A query that
 *   Prometheus rejects gets `results[refId].error` and makes the whole answer a 400.
 * - `GET /api/annotations`: filtered by `tags` (all must match), `from`/`to` and `limit`, newest first.
 *
 * `script` holds canned answers (or 'hang') served first, one per request, for failure modes.
 * `maxSamples` plays Prometheus' `--query.max-samples`: a query whose answer holds more samples gets
 * Prometheus' 422 "too many samples" (a grouped query over many stacks hits it before its parts do).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface FakeAnnotation {
  id: number;
  time: number;
  tags: string[];
  text: string;
  dashboardUID?: string;
  panelId?: number;
}

export type Canned = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeGrafana {
  url: string;
  requests: SeenRequest[];
  script: Canned[];
  annotations: FakeAnnotation[];
  maxSamples: number;
  close(): Promise<void>;
}

interface DsQuery {
  refId: string;
  datasource?: { uid?: string; type?: string };
  expr?: string;
  intervalMs?: number;
  maxDataPoints?: number;
  interval?: string;
}

export async function startFakeGrafana(options: {
  token: string;
  datasourceUid: string;
  prometheusUrl: string;
}): Promise<FakeGrafana> {
  const requests: SeenRequest[] = [];
  const fake = {
    requests,
    script: [] as Canned[],
    annotations: [] as FakeAnnotation[],
    maxSamples: Infinity,
  };

  const answer = async (
    seen: SeenRequest,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> } | 'hang'> => {
    const canned = fake.script.shift();
    if (canned) return canned === 'hang' ? 'hang' : { body: {}, ...canned };
    // Grafana answers its health check without a token.
    if (seen.method === 'GET' && seen.path === '/api/health')
      return { status: 200, body: { commit: 'fake', database: 'ok', version: '12.3.0' } };
    if (seen.headers.authorization !== `Bearer ${options.token}`) {
      return {
        status: 401,
        body: {
          extra: null,
          message: 'Invalid API key',
          messageId: 'api-key.invalid',
          statusCode: 401,
          traceID: '',
        },
      };
    }
    if (seen.method === 'POST' && seen.path === '/api/ds/query') return dsQuery(seen.body);
    if (seen.method === 'GET' && seen.path.startsWith('/api/datasources/uid/')) {
      const uid = decodeURIComponent(seen.path.slice('/api/datasources/uid/'.length));
      return uid === options.datasourceUid
        ? { status: 200, body: { uid, name: 'Prometheus', type: 'prometheus', access: 'proxy' } }
        : { status: 404, body: { message: 'Data source not found', traceID: '' } };
    }
    if (seen.method === 'GET' && seen.path === '/api/annotations')
      return { status: 200, body: annotations(seen.query) };
    return { status: 404, body: { message: 'Not found' } };
  };

  const dsQuery = async (body: unknown) => {
    const { from, to, queries } = body as { from: string; to: string; queries: DsQuery[] };
    if (!queries?.length) return { status: 400, body: { message: 'No queries found', traceID: '' } };
    if (queries.some((q) => q.datasource?.uid !== options.datasourceUid)) {
      return { status: 404, body: { message: 'Data source not found', traceID: '' } };
    }
    const results: Record<string, unknown> = {};
    let failed = false;
    await Promise.all(
      queries.map(async (q) => {
        const result = await runPrometheusQuery(
          options.prometheusUrl,
          q,
          Number(from),
          Number(to),
          fake.maxSamples,
        );
        if ('error' in result) failed = true;
        results[q.refId] = result;
      }),
    );
    return { status: failed ? 400 : 200, body: { results } };
  };

  const annotations = (query: URLSearchParams) => {
    const tags = query.getAll('tags');
    const from = Number(query.get('from') ?? 0);
    const to = Number(query.get('to') ?? Infinity);
    const limit = Number(query.get('limit') ?? 100);
    return fake.annotations
      .filter((a) => tags.every((t) => a.tags.includes(t)) && a.time >= from && a.time <= to)
      .sort((a, b) => b.time - a.time)
      .slice(0, limit)
      .map((a) => ({
        id: a.id,
        alertId: 0,
        dashboardUID: a.dashboardUID ?? '',
        panelId: a.panelId ?? 0,
        time: a.time,
        timeEnd: a.time,
        tags: a.tags,
        text: a.text,
        login: 'deploy-bot',
        data: {},
      }));
  };

  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://grafana.local');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      requests.push(seen);
      void answer(seen).then((a) => {
        if (a === 'hang') return;
        res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
        res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Grafana's interval rounding (pkg/tsdb/intervalv2 roundInterval), for the steps that matter here. */
function roundInterval(ms: number): number {
  const table: [number, number][] = [
    [15_000, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [32_400_000, 21_600_000],
    [86_400_000, 43_200_000],
  ];
  for (const [upTo, rounded] of table) if (ms <= upTo) return rounded;
  return 86_400_000;
}

function parseDuration(text: string | undefined): number | undefined {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text ?? '');
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** How Grafana's Prometheus datasource picks the step of a range query. */
export function grafanaStep(q: DsQuery, from: number, to: number): number {
  const range = to - from;
  const minInterval = parseDuration(q.interval) ?? q.intervalMs ?? 15_000;
  const raw = range / (q.maxDataPoints ?? 1500);
  const calculated = raw < minInterval ? minInterval : roundInterval(raw);
  const safe = roundInterval(range / 11_000);
  return Math.max(calculated, safe);
}

interface PromAnswer {
  status: string;
  errorType?: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

async function runPrometheusQuery(
  prometheusUrl: string,
  q: DsQuery,
  from: number,
  to: number,
  maxSamples: number,
) {
  const step = grafanaStep(q, from, to);
  const start = Math.floor(from / step) * step;
  const end = Math.floor(to / step) * step;
  const response = await fetch(`${prometheusUrl}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      query: q.expr ?? '',
      start: String(start / 1000),
      end: String(end / 1000),
      step: String(step / 1000),
    }).toString(),
  });
  const answer = (await response.json()) as PromAnswer;
  const samples = (answer.data?.result ?? []).reduce((n, s) => n + s.values.length, 0);
  if (answer.status === 'success' && samples > maxSamples) {
    return {
      error: 'execution: query processing would load too many samples into memory in query execution',
      errorSource: 'downstream',
      status: 422,
    };
  }
  const meta = {
    type: 'timeseries-multi',
    typeVersion: [0, 1],
    custom: { resultType: 'matrix' },
    executedQueryString: `Expr: ${q.expr}\nStep: ${step / 1000}s`,
  };
  if (answer.status !== 'success') {
    return {
      error: `${answer.errorType}: ${answer.error}`,
      errorSource: 'downstream',
      status: response.status,
    };
  }
  const series = answer.data?.result ?? [];
  if (series.length === 0) {
    return { status: 200, frames: [{ schema: { refId: q.refId, meta, fields: [] }, data: { values: [] } }] };
  }
  return {
    status: 200,
    frames: series.map((s) => {
      const times = s.values.map(([t]) => Math.round(t * 1000));
      const numbers = s.values.map(([, v]) => Number(v));
      const rows = (test: (n: number) => boolean) => numbers.flatMap((n, i) => (test(n) ? [i] : []));
      const special = {
        NaN: rows(Number.isNaN),
        Inf: rows((n) => n === Infinity),
        NegInf: rows((n) => n === -Infinity),
      };
      const hasSpecial = special.NaN.length + special.Inf.length + special.NegInf.length > 0;
      const name = Object.entries(s.metric)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ');
      return {
        schema: {
          name: `{${name}}`,
          refId: q.refId,
          meta,
          fields: [
            { name: 'Time', type: 'time', typeInfo: { frame: 'time.Time' }, config: { interval: step } },
            {
              name: 'Value',
              type: 'number',
              typeInfo: { frame: 'float64' },
              labels: s.metric,
              config: { displayNameFromDS: `{${name}}` },
            },
          ],
        },
        data: {
          values: [times, numbers.map((n) => (Number.isFinite(n) ? n : null))],
          ...(hasSpecial
            ? {
                entities: [
                  null,
                  Object.fromEntries(Object.entries(special).filter(([, list]) => list.length > 0)),
                ],
              }
            : {}),
        },
      };
    }),
  };
}
