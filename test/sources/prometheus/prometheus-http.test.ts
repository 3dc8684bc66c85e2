/**
 * The Prometheus source's failure modes, against a local server that answers as a test says:
 * credentials, retries with Retry-After and jitter, timeouts, bodies that are not Prometheus'.
 */
import { silentLogger } from '../../../src/logger';
import { createPrometheusSource } from '../../../src/sources/prometheus';
import type { PrometheusSourceConfig } from '../../../src/config/schema';
import type { QueryGroup, SourceContext, SourcePlan } from '../../../src/sources/types';
import { startScriptedServer, type Answer, type ScriptedServer, type SeenRequest } from './scripted-server';

const start = Date.UTC(2026, 10, 18, 9);
const end = start + 3600_000;
const token = 'prom-secret-token-4711';

const success = (service: string): Answer => ({
  status: 200,
  body: {
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: { service }, values: [[start / 1000, '0.25']] }] },
  },
});

function plan(templates = 1): SourcePlan {
  const groups: QueryGroup[] = Array.from({ length: templates }, (_, i) => ({
    template: `avg(m${i}{service="{{service}}"})`,
    members: [
      {
        stackId: 'checkout',
        metricId: `m${i}`,
        query: `avg(m${i}{service="checkout"})`,
        vars: { service: 'checkout' },
      },
    ],
  }));
  return { start, end, groups, eventsStart: start, events: [] };
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run(
  answer: (request: SeenRequest, seen: SeenRequest[]) => Answer,
  options: { config?: Partial<PrometheusSourceConfig>; templates?: number; random?: number } = {},
) {
  server = await startScriptedServer(answer);
  const waits: number[] = [];
  const ctx: SourceContext = {
    configDir: '/tmp',
    reportTime: end,
    logger: silentLogger,
    now: () => end,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => options.random ?? 0.5,
  };
  const source = createPrometheusSource(
    { id: 'prom', type: 'prometheus', url: server.url, token, ...options.config },
    ctx,
  );
  const result = await source.fetch(plan(options.templates), new AbortController().signal);
  return { result, waits, requests: server.requests };
}

describe('prometheus source failure modes', () => {
  it('sends the token as a bearer token, or as basic auth when it is user:password', async () => {
    const bearer = await run(() => success('checkout'));
    await server!.close();
    const basic = await run(() => success('checkout'), { config: { token: 'scrum:ops' } });

    expect(bearer.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(basic.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('scrum:ops').toString('base64')}`,
    );
    expect(bearer.requests[0]!.method).toBe('POST');
    expect(new URLSearchParams(bearer.requests[0]!.body).get('query')).toBe('avg(m0{service="checkout"})');
    expect(bearer.result.series[0]!.points).toEqual([[start, 0.25]]);
  });

  it('names the source on 401, never shows the token, and sends nothing more after it', async () => {
    const { result, requests } = await run(
      (req) => ({ status: 401, body: { message: `invalid credentials: ${req.headers.authorization}` } }),
      { templates: 6, config: { maxAttempts: 3 } },
    );

    expect(result.health.status).toBe('failed');
    expect(result.failures).toHaveLength(6);
    expect(result.failures[0]!.error).toMatch(
      /^source "prom": not authenticated \(HTTP 401: .*\); check the token of source "prom"/,
    );
    expect(JSON.stringify(result)).not.toContain(token);
    // Four were already in flight (concurrency 4); the last two are not sent.
    expect(requests.length).toBeLessThanOrEqual(4);
    expect(result.health.errors.some((e) => e.includes('not sent'))).toBe(true);
  });

  it.each([
    [403, /not allowed \(HTTP 403/],
    [404, /HTTP 404.*check the url of source "prom"/],
  ])('fails clearly on HTTP %i without retrying', async (status, message) => {
    const { result, requests, waits } = await run(() => ({ status, body: 'nope' }));

    expect(result.failures[0]!.error).toMatch(message);
    expect(requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('honours Retry-After on 503 and then succeeds', async () => {
    const { result, waits } = await run((_, seen) =>
      seen.length === 1
        ? { status: 503, headers: { 'Retry-After': '3' }, body: 'busy' }
        : success('checkout'),
    );

    expect(waits).toEqual([3000]);
    expect(result.health).toMatchObject({ status: 'ok', requests: 2, retries: 1, errors: [] });
    expect(result.series).toHaveLength(1);
  });

  it('backs off with jitter on 429 without Retry-After, and gives up after maxAttempts on 500', async () => {
    const limited = await run(
      (_, seen) => (seen.length === 1 ? { status: 429, body: {} } : success('checkout')),
      {
        random: 0.5,
      },
    );
    await server!.close();
    const broken = await run(() => ({ status: 500, body: { status: 'error', error: 'boom' } }), {
      config: { maxAttempts: 3 },
      random: 1,
    });

    expect(limited.waits).toEqual([250]); // half of the first 500 ms backoff
    expect(limited.result.health.status).toBe('ok');
    expect(broken.waits).toEqual([500, 1000]);
    expect(broken.requests).toHaveLength(3);
    expect(broken.result.health).toMatchObject({ status: 'failed', requests: 3, retries: 2 });
    expect(broken.result.failures[0]!.error).toBe('source "prom": POST /api/v1/query_range: HTTP 500: boom');
  });

  it('times out a server that never answers, retrying once', async () => {
    const { result, requests } = await run(() => 'hang', { config: { timeoutMs: 50, maxAttempts: 2 } });

    // The server may not have read the second request before the client gave up on it.
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(result.health).toMatchObject({ status: 'failed', requests: 2, retries: 1 });
    expect(result.failures[0]!.error).toMatch(
      /no answer within 50 ms \(POST \/api\/v1\/query_range at http:\/\/127\.0\.0\.1:\d+\)/,
    );
  });

  it.each([
    ['HTML', '<html>login</html>', /not JSON/],
    [
      'the wrong JSON',
      { status: 'success', data: { resultType: 'vector', result: [] } },
      /unexpected answer to a range query/,
    ],
  ])('reports %s in a 200 as a malformed answer', async (_, body, message) => {
    const { result } = await run(() => ({ status: 200, body }));

    expect(result.failures[0]!.error).toMatch(message);
    expect(result.health.status).toBe('failed');
  });

  it('reports an unreachable server by its address', async () => {
    server = await startScriptedServer(() => success('checkout'));
    const url = server.url;
    await server.close();
    server = undefined;
    const source = createPrometheusSource(
      { id: 'prom', type: 'prometheus', url, maxAttempts: 1 },
      {
        configDir: '/',
        reportTime: end,
        logger: silentLogger,
        now: () => end,
        sleep: () => Promise.resolve(),
        random: () => 0,
      },
    );

    const result = await source.fetch(plan(), new AbortController().signal);

    expect(result.failures[0]!.error).toBe(`source "prom": cannot reach ${url} (ECONNREFUSED)`);
  });
});
