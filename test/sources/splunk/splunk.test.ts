/**
 * The Splunk source against a local server speaking the search export endpoint (fake-splunk.ts):
 * grouped searches and their fallbacks, the answer mapped to points, events, and every fault ending
 * in failures that name the source (never in zeros).
 */
import type { SplunkSourceConfig } from '../../../src/config/schema';
import { silentLogger } from '../../../src/logger';
import { createSplunkSource } from '../../../src/sources/splunk';
import type { EventQuery, QueryGroup, SourceContext, SourcePlan } from '../../../src/sources/types';
import { startFakeSplunk, type FakeSplunk } from './fake-splunk';

const minute = 60_000;
const day = 24 * 60 * minute;
const planEnd = Date.UTC(2026, 10, 18, 8);
const planStart = planEnd - 2 * day;
const token = 'splunk-fake-token-7'; // fake, short of the secret scanner's length
const step = 2 * minute;
const services = { checkout: 0.2, search: 0.5, cart: 3 } as const;
type Service = keyof typeof services;

const latency = (service: Service, at: number) => services[service] + ((at / step) % 5) / 100;

let splunk: FakeSplunk;
const sleeps: number[] = [];

beforeAll(async () => {
  splunk = await startFakeSplunk({ token });
});
afterAll(async () => {
  await splunk?.close();
});
beforeEach(() => {
  splunk.requests.length = 0;
  splunk.script.length = 0;
  splunk.refuse = undefined;
  sleeps.length = 0;
  splunk.events.length = 0;
  for (const service of Object.keys(services) as Service[]) {
    for (let at = planStart - day; at < planEnd + day; at += step) {
      splunk.events.push({
        index: 'web',
        time: at,
        fields: { service, latency: String(latency(service, at)) },
      });
    }
    splunk.events.push({
      index: 'deploys',
      time: planEnd - 3 * 60 * minute,
      fields: { service, title: `${service} v2.1`, url: `https://ci.example.com/${service}/42` },
    });
  }
});

const ctx: SourceContext = {
  configDir: __dirname,
  reportTime: planEnd,
  logger: silentLogger,
  now: () => planEnd,
  sleep: (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
  random: () => 0.5,
};

function config(extra: Partial<SplunkSourceConfig> = {}): SplunkSourceConfig {
  return { id: 'splunk', type: 'splunk', url: splunk.url, token, ...extra };
}

const template = 'search index=web service={{service}} | timechart span=2m avg(latency)';

function group(stacks: readonly string[], tpl = template, values: Record<string, string> = {}): QueryGroup {
  return {
    template: tpl,
    members: stacks.map((s) => {
      const service = values[s] ?? s;
      return {
        stackId: s,
        metricId: 'latency',
        query: tpl.replace('{{service}}', service),
        vars: { service },
      };
    }),
  };
}

function plan(groups: QueryGroup[], events: EventQuery[] = []): SourcePlan {
  return { start: planStart, end: planEnd, groups, eventsStart: planEnd - day, events };
}

const fetchWith = (p: SourcePlan, extra: Partial<SplunkSourceConfig> = {}) =>
  createSplunkSource(config(extra), ctx).fetch(p, new AbortController().signal);

const allStacks = Object.keys(services) as Service[];

describe('metrics', () => {
  it('asks every stack sharing a template in one search split by the field, and maps each column back', async () => {
    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests).toHaveLength(1);
    const [request] = splunk.requests;
    expect(request!.path).toBe('/services/search/v2/jobs/export');
    expect(request!.headers.authorization).toBe(`Bearer ${token}`);
    expect(Object.fromEntries(request!.form)).toEqual({
      search:
        'search index=web (service="checkout" OR service="search" OR service="cart") | timechart limit=0 span=2m avg(latency) by service useother=f usenull=f',
      output_mode: 'json',
      earliest_time: String(planStart / 1000),
      latest_time: String(planEnd / 1000),
    });
    expect(result.failures).toEqual([]);
    expect(result.series.map((s) => s.stackId).sort()).toEqual([...allStacks].sort());
    for (const s of result.series) {
      expect(s.points).toHaveLength((planEnd - planStart) / step);
      expect(s.stepMs).toBe(step);
      const [at, value] = s.points[7]!;
      expect(value).toBeCloseTo(latency(s.stackId as Service, at), 12);
    }
    expect(result.health).toEqual({
      id: 'splunk',
      type: 'splunk',
      status: 'ok',
      requests: 1,
      retries: 0,
      errors: [],
    });
  });

  it('runs in the app/owner namespace when given', async () => {
    await fetchWith(plan([group(['checkout'])]), { app: 'web_ops', owner: 'svc-report' });

    expect(splunk.requests.map((r) => r.path)).toEqual([
      '/servicesNS/svc-report/web_ops/search/v2/jobs/export',
    ]);
  });

  it('falls back to one search per stack when Splunk refuses the grouped search', async () => {
    splunk.refuse = {
      when: (s) => s.includes(' OR '),
      text: "Error in 'timechart' command: The argument 'useother=f' is invalid.",
    };

    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests.map((r) => r.form.get('search'))).toEqual([
      expect.stringContaining(' OR '),
      ...allStacks.map((s) => `search index=web service=${s} | timechart span=2m avg(latency)`),
    ]);
    expect(result.failures).toEqual([]);
    expect(result.series).toHaveLength(3);
    expect(result.health.status).toBe('ok');
  });

  it('falls back per stack when the split cannot be mapped (a value in another case)', async () => {
    const result = await fetchWith(plan([group(allStacks, template, { checkout: 'Checkout' })]));

    // The grouped answer's column is "checkout", which no stack asked for; Splunk's own
    // case-insensitive match serves "Checkout" when asked alone.
    expect(splunk.requests).toHaveLength(4);
    expect(result.failures).toEqual([]);
    expect(
      result.series.find((s) => s.stackId === 'checkout')!.points.filter((p) => p[1] !== null),
    ).toHaveLength((planEnd - planStart) / step);
  });

  it('turns empty buckets into gaps, never zeros', async () => {
    splunk.events = splunk.events.filter((e) => e.fields.service !== 'cart' || e.time < planEnd - day);

    const result = await fetchWith(plan([group(allStacks)]));

    const cart = result.series.find((s) => s.stackId === 'cart')!;
    const lastDay = cart.points.filter(([at]) => at >= planEnd - day);
    expect(lastDay.length).toBeGreaterThan(0);
    expect(lastDay.every(([, v]) => v === null)).toBe(true);
  });

  it('refuses an answer with several value columns, naming them', async () => {
    splunk.script.push({
      lines: [
        JSON.stringify({
          preview: false,
          offset: 0,
          result: { _time: '2026-11-17T09:00:00.000+00:00', web01: '1', web02: '2' },
        }),
        JSON.stringify({
          preview: false,
          offset: 1,
          lastrow: true,
          result: { _time: '2026-11-17T09:02:00.000+00:00', web01: '1', web02: '3' },
        }),
      ],
    });

    const result = await fetchWith(
      plan([
        group(['checkout'], 'search index=web service={{service}} | timechart span=2m avg(latency) by host'),
      ]),
    );

    expect(result.series).toEqual([]);
    expect(result.failures).toEqual([
      {
        stackId: 'checkout',
        metricId: 'latency',
        error: expect.stringMatching(
          /^source "splunk": the search .* returned 2 value columns \(web01, web02\) where one is needed/,
        ) as string,
      },
    ]);
  });
});

describe('what a fleet costs', () => {
  it('50 stacks × 3 templates plus deployments and alerts: 5 searches', async () => {
    const fleet = Array.from({ length: 50 }, (_, i) => `svc-${i}`);
    const templates = ['avg(latency)', 'max(latency)', 'sum(latency)'].map(
      (agg) => `search index=web service={{service}} | timechart span=10m ${agg}`,
    );
    const eventTemplates = {
      deployments: 'search index=deploys service={{service}} | table _time title',
      alerts: 'search index=alerts service={{service}} | table _time title',
    } as const;
    const events = fleet.flatMap((service) =>
      (['deployments', 'alerts'] as const).map((kind): EventQuery => ({
        stackId: service,
        kind,
        query: eventTemplates[kind].replace('{{service}}', service),
        template: eventTemplates[kind],
        vars: { service },
      })),
    );

    const result = await fetchWith(
      plan(
        templates.map((t) => group(fleet, t)),
        events,
      ),
    );

    expect(result.health).toMatchObject({ status: 'ok', requests: 5, retries: 0 });
    expect(result.series).toHaveLength(150);
  });
});

describe('events', () => {
  it('asks the deployments of every stack in one search and splits them by the field', async () => {
    const deployTemplate = 'search index=deploys service={{service}} | table _time title url';
    const events: EventQuery[] = allStacks.map((s) => ({
      stackId: s,
      kind: 'deployments',
      query: deployTemplate.replace('{{service}}', s),
      template: deployTemplate,
      vars: { service: s },
    }));

    const result = await fetchWith(plan([], events));

    expect(splunk.requests.map((r) => [r.form.get('search'), r.form.get('earliest_time')])).toEqual([
      [
        'search index=deploys (service="checkout" OR service="search" OR service="cart") | table _time title url service',
        String((planEnd - day) / 1000),
      ],
    ]);
    expect(result.events.sort((a, b) => a.stackId.localeCompare(b.stackId))).toEqual(
      ['cart', 'checkout', 'search'].map((s) => ({
        stackId: s,
        kind: 'deployments',
        at: planEnd - 3 * 60 * minute,
        title: `${s} v2.1`,
        url: `https://ci.example.com/${s}/42`,
      })),
    );
  });
});

describe('faults end in unknown metrics that name the source', () => {
  const expectAllFailed = (result: Awaited<ReturnType<typeof fetchWith>>, pattern: RegExp) => {
    expect(result.series).toEqual([]);
    expect(result.failures).toHaveLength(3);
    for (const f of result.failures) {
      expect(f.error).toMatch(/^source "splunk": /);
      expect(f.error).toMatch(pattern);
      expect(f.error).not.toContain(token);
    }
    expect(result.health.status).toBe('failed');
  };

  it('401: says the token is wrong, and sends nothing more once it knows', async () => {
    const indexes = ['web1', 'web2', 'web3', 'web4', 'web5'];
    const result = await createSplunkSource({ ...config(), token: 'wrong-token-value' }, ctx).fetch(
      plan(indexes.map((index) => group(['checkout'], template.replace('web', index)))),
      new AbortController().signal,
    );

    // Three searches run at once (Splunk's default per-user quota); the two after them are not sent.
    expect(splunk.requests).toHaveLength(3);
    const errors = result.failures.map((f) => f.error);
    expect(errors).toHaveLength(5);
    for (const error of errors) {
      expect(error).toMatch(
        /^source "splunk": (not sent: )?not authenticated \(HTTP 401: call not properly authenticated\); check the token of source "splunk"/,
      );
    }
    expect(errors.filter((e) => e.includes('not sent:'))).toHaveLength(2);
    expect(JSON.stringify(result)).not.toContain('wrong-token-value');
  });

  it('403: says the role may not search', async () => {
    splunk.script.push({
      status: 403,
      body: { messages: [{ type: 'ERROR', text: 'You do not have permission' }] },
    });

    const result = await fetchWith(plan([group(allStacks)]));

    expectAllFailed(result, /not allowed \(HTTP 403: You do not have permission\)/);
  });

  it('429 with Retry-After: waits as told, then reads the answer', async () => {
    splunk.script.push({ status: 429, headers: { 'Retry-After': '7' }, body: { messages: [] } });

    const result = await fetchWith(plan([group(allStacks)]));

    expect(sleeps).toEqual([7000]);
    expect(result.failures).toEqual([]);
    expect(result.health).toMatchObject({ status: 'ok', requests: 2, retries: 1 });
  });

  it('503 with Retry-After on every attempt: unknown, with the status said', async () => {
    for (let i = 0; i < 4; i++)
      splunk.script.push({
        status: 503,
        headers: { 'Retry-After': '2' },
        body: {
          messages: [
            {
              type: 'ERROR',
              text: 'Search not executed: The maximum number of concurrent historical searches has been reached',
            },
          ],
        },
      });

    const result = await fetchWith(plan([group(allStacks)]));

    expect(sleeps).toEqual([2000, 2000, 2000]);
    expectAllFailed(result, /HTTP 503: Search not executed: The maximum number of concurrent/);
  });

  it('a FATAL message inside the answer: says what Splunk said', async () => {
    splunk.script.push({
      lines: [
        JSON.stringify({
          preview: false,
          messages: [{ type: 'FATAL', text: "Unknown search command 'timechar'." }],
        }),
      ],
    });
    // The grouped search was refused: each stack is asked alone, and this time it works.
    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests).toHaveLength(4);
    expect(result.failures).toEqual([]);

    splunk.requests.length = 0;
    splunk.script.push({
      lines: [
        JSON.stringify({
          preview: false,
          messages: [{ type: 'ERROR', text: "Error in 'search' command: index=web is not allowed" }],
        }),
      ],
    });
    const alone = await fetchWith(plan([group(['checkout'])]));
    expect(alone.failures).toEqual([
      {
        stackId: 'checkout',
        metricId: 'latency',
        error: `source "splunk": the search failed, Splunk says ERROR: Error in 'search' command: index=web is not allowed`,
      },
    ]);
  });

  it.each([
    [
      'ends before its last row',
      'clean' as const,
      /the export answer stopped before its last row \(1 row read\)/,
    ],
    [
      'drops the connection mid-answer',
      'drop' as const,
      /the answer from http:\/\/127\.0\.0\.1:\d+ \(HTTP 200\) was cut short after \d+ bytes \(ECONNRESET\)/,
    ],
  ])('an answer that %s is retried, and never read as a short series', async (_what, cut, pattern) => {
    const partial = {
      lines: [
        JSON.stringify({
          preview: false,
          offset: 0,
          result: { _time: '2026-11-17T09:00:00.000+00:00', checkout: '0.2' },
        }),
      ],
      cut,
    };
    splunk.script.push(partial);

    const recovered = await fetchWith(plan([group(allStacks)]));
    expect(recovered.failures).toEqual([]);
    expect(recovered.health).toMatchObject({ requests: 2, retries: 1 });

    for (let i = 0; i < 4; i++) splunk.script.push(partial);
    const failed = await fetchWith(plan([group(allStacks)]));
    expectAllFailed(failed, pattern);
  });

  it('a line that is not JSON in the middle: malformed, not retried', async () => {
    splunk.script.push({
      lines: [
        '{"preview":false,"offset":0,"result":{"_time":"2026-11-17T09:00:00.000+00:00"',
        '{"preview":false,"lastrow":true}',
      ],
    });

    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests).toHaveLength(1);
    expectAllFailed(result, /line 1 of the export answer is not JSON/);
  });

  it('a last line that is not JSON, the answer ended cleanly: malformed, not retried, the token scrubbed before the cut', async () => {
    // The edge reports a cut connection itself, so a broken line that arrived whole is the server's.
    splunk.script.push({ lines: [`<html>${'x'.repeat(105)}${token}\n::error::</html>`] });

    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests).toHaveLength(1);
    expectAllFailed(result, /line 1 of the export answer is not JSON: <html>x+\*\*\*/);
    for (const f of result.failures) {
      for (let i = 0; i + 8 <= token.length; i++) expect(f.error).not.toContain(token.slice(i, i + 8));
      expect(f.error).not.toMatch(/[\n\r]/);
    }
  });

  it('a JSON line that is no Splunk line: malformed, not retried', async () => {
    splunk.script.push({ lines: ['{"hello":"world"}'] });

    const result = await fetchWith(plan([group(allStacks)]));

    expect(splunk.requests).toHaveLength(1);
    expectAllFailed(result, /line 1 of the export answer is not a Splunk result line: \{"hello":"world"\}/);
  });

  it("a failed event search leaves those stacks' deployments unknown, never 0", async () => {
    const deployTemplate = 'search index=deploys service={{service}} | table _time title url';
    const events: EventQuery[] = allStacks.map((s) => ({
      stackId: s,
      kind: 'deployments',
      query: deployTemplate.replace('{{service}}', s),
      template: deployTemplate,
      vars: { service: s },
    }));
    for (let i = 0; i < 4; i++)
      splunk.script.push({ status: 500, body: { messages: [{ type: 'ERROR', text: 'down' }] } });

    const result = await fetchWith(plan([], events));

    expect(result.events).toEqual([]);
    expect(result.eventFailures?.map((f) => [f.stackId, f.kind]).sort()).toEqual(
      allStacks.map((s) => [s, 'deployments']).sort(),
    );
    for (const f of result.eventFailures ?? []) expect(f.error).toMatch(/^source "splunk": .*HTTP 500: down/);
    expect(result.health.status).toBe('failed');
  });

  it('no answer in time: unknown, with the timeout said', async () => {
    splunk.script.push('hang');

    const result = await fetchWith(plan([group(allStacks)]), { timeoutMs: 300, maxAttempts: 1 });

    expectAllFailed(
      result,
      /no answer within 300 ms \(POST \/services\/search\/v2\/jobs\/export at http:\/\/127\.0\.0\.1:\d+\)/,
    );
  });
});
