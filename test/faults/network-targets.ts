/**
 * The network targets of the fault suite, each behind a NetworkFaultServer: Datadog (the repo's
 * fake Datadog, reached through the fault server), Prometheus and Grafana (canned answers in their
 * real shapes), Splunk (its export endpoint's newline-delimited JSON, searched by the fake Splunk's
 * SPL subset), PagerDuty (the repo's fake PagerDuty: on-call and incidents, no metrics, so its
 * stacks' "unknown" is their incidents), Slack (an incoming webhook). `run` drives the real adapter in-process and returns
 * what a reader of the report would learn: status, which stacks are unknown and why, every text the
 * run produced (results, reasons, log lines) to search for secrets.
 */
import type { Logger } from '../../src/logger';
import { createSlackChannel } from '../../src/deliver/slack';
import { createDatadogSource } from '../../src/sources/datadog';
import { createGrafanaSource } from '../../src/sources/grafana';
import { createPrometheusSource } from '../../src/sources/prometheus';
import { createPagerdutySource } from '../../src/sources/pagerduty';
import { createSplunkSource } from '../../src/sources/splunk';
import type { SourceContext, SourcePlan } from '../../src/sources/types';
import { sampleReport } from '../fixtures/sample-report';
import { FakeDatadog, apiKey, appKey } from '../sources/datadog/fake-datadog';
import { startFakePagerduty } from '../sources/pagerduty/fake-pagerduty';
import { exportLines, runSpl, type FakeEvent } from '../sources/splunk/fake-splunk';
import type { Healthy, SeenRequest } from './network-server';

export const end = Date.UTC(2026, 10, 26, 8, 0, 0);
export const start = end - 3 * 3600_000;
const stepMs = 60_000;
export const stacks = ['checkout', 'cart'] as const;

export type TargetName = 'datadog' | 'prometheus' | 'grafana' | 'splunk' | 'pagerduty' | 'slack';

export interface RunLimits {
  timeoutMs: number;
  maxBytes?: number;
  maxAttempts: number;
}

export interface Outcome {
  /** ok | partial | failed for a source; sent | failed for Slack. */
  status: string;
  /** Stack id → the reason its metric is unknown (PagerDuty, which has no metrics: its incidents). */
  unknown: Record<string, string>;
  /** Stack id → why its events are unknown. */
  eventsUnknown: Record<string, string>;
  /** Every text the run produced. */
  text: string;
  /** Attempts beyond the first, all requests together. */
  retries: number;
}

export interface Target {
  name: TargetName;
  /** The source id every reason must name (sources only). */
  sourceId?: string;
  /** Every secret the target's config holds. */
  secrets: string[];
  healthy: Healthy;
  /** Run the adapter against `url` (the fault server, or whatever a test points it at). */
  run(url: string, limits: RunLimits): Promise<Outcome>;
  close(): Promise<void>;
}

function recordingLogger(lines: string[]): Logger {
  return {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    debug: (m) => lines.push(m),
  };
}

function ctxFor(lines: string[]): SourceContext {
  return {
    configDir: '/tmp',
    reportTime: end,
    logger: recordingLogger(lines),
    now: Date.now,
    // Backoff waits are the retry policy's business (tested in test/net): here they cost nothing.
    sleep: () => Promise.resolve(),
    random: () => 0,
  };
}

function sourceOutcome(
  result: Awaited<ReturnType<ReturnType<typeof createPrometheusSource>['fetch']>>,
  lines: string[],
): Outcome {
  const unknown: Record<string, string> = {};
  for (const f of result.failures) unknown[f.stackId] = f.error;
  const eventsUnknown: Record<string, string> = {};
  for (const f of result.eventFailures ?? []) eventsUnknown[f.stackId] = f.error;
  return {
    status: result.health.status,
    unknown,
    eventsUnknown,
    text: JSON.stringify(result) + '\n' + lines.join('\n'),
    retries: result.health.retries,
  };
}

function promPlan(template: (s: string) => string, withEvents: boolean): SourcePlan {
  return {
    start,
    end,
    eventsStart: start,
    groups: [
      {
        template: template('{{service}}'),
        members: stacks.map((s) => ({
          stackId: s,
          metricId: 'latency',
          query: template(s),
          vars: { service: s },
        })),
      },
    ],
    events: withEvents
      ? stacks.map((s) => ({ stackId: s, kind: 'deployments' as const, query: `deploy,service:${s}` }))
      : [],
  };
}

/** A matrix answer with one series per service named in the query (`=~"a|b"` or `="a"`). */
function matrixFor(query: string): unknown {
  const m = /service=~?"([^"]*)"/.exec(query);
  const services = m ? m[1]!.split('|') : ['x'];
  const values: [number, string][] = [];
  for (let t = start; t < end; t += stepMs) values.push([t / 1000, '0.25']);
  return services.map((service) => ({ metric: { service }, values }));
}

export async function datadogTarget(): Promise<Target> {
  const upstream = new FakeDatadog();
  await upstream.start();
  upstream.events = stacks.map((s, i) => ({
    id: `evt-${s}`,
    at: end - (i + 1) * 600_000,
    title: `deploy ${s}`,
    tags: ['source:deploy', `service:${s}`],
  }));
  const healthy: Healthy = async (req: SeenRequest) => {
    const answer = await fetch(upstream.url + req.path, {
      method: req.method,
      headers: {
        'content-type': 'application/json',
        'dd-api-key': String(req.headers['dd-api-key'] ?? ''),
        'dd-application-key': String(req.headers['dd-application-key'] ?? ''),
      },
      body: req.method === 'GET' ? undefined : req.body,
    });
    return { status: answer.status, body: await answer.text() };
  };
  return {
    name: 'datadog',
    sourceId: 'dd',
    secrets: [apiKey, appKey],
    healthy,
    close: () => upstream.close(),
    async run(url, limits) {
      const lines: string[] = [];
      const source = createDatadogSource(
        {
          id: 'dd',
          type: 'datadog',
          url,
          apiKey,
          appKey,
          timeoutMs: limits.timeoutMs,
          maxAttempts: limits.maxAttempts,
          maxResponseBytes: limits.maxBytes,
        },
        ctxFor(lines),
      );
      const plan: SourcePlan = {
        start,
        end,
        eventsStart: start,
        groups: [
          {
            template: 'avg:trace.http.request.duration{env:prod,service:{{service}}}',
            members: stacks.map((s) => ({
              stackId: s,
              metricId: 'latency',
              query: `avg:trace.http.request.duration{env:prod,service:${s}}`,
              vars: { service: s },
            })),
          },
        ],
        events: stacks.map((s) => ({ stackId: s, kind: 'deployments', query: `source:deploy service:${s}` })),
      };
      return sourceOutcome(await source.fetch(plan, new AbortController().signal), lines);
    },
  };
}

export const promToken = 'prom-token-5f1e2d3c4b5a6978';

export function prometheusTarget(): Promise<Target> {
  const healthy: Healthy = (req) => {
    const query = new URLSearchParams(req.body).get('query') ?? '';
    return {
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: matrixFor(query) } }),
    };
  };
  return Promise.resolve({
    name: 'prometheus',
    sourceId: 'prom',
    secrets: [promToken],
    healthy,
    close: () => Promise.resolve(),
    async run(url, limits) {
      const lines: string[] = [];
      const source = createPrometheusSource(
        {
          id: 'prom',
          type: 'prometheus',
          url,
          token: promToken,
          timeoutMs: limits.timeoutMs,
          maxAttempts: limits.maxAttempts,
          maxResponseBytes: limits.maxBytes,
        },
        ctxFor(lines),
      );
      const plan = promPlan((s) => `avg(http_latency_seconds{service="${s}"})`, false);
      return sourceOutcome(await source.fetch(plan, new AbortController().signal), lines);
    },
  });
}

export const grafanaToken = 'glsa_grafana-token-9a8b7c6d5e4f3a2b';

/** Grafana's answer to /api/ds/query: one wide frame per refId, labelled by service. */
function dsQueryAnswer(body: string): unknown {
  const { queries } = JSON.parse(body) as { queries: { refId: string; expr: string }[] };
  const results: Record<string, unknown> = {};
  for (const q of queries) {
    results[q.refId] = {
      status: 200,
      frames: (matrixFor(q.expr) as { metric: Record<string, string>; values: [number, string][] }[]).map(
        (s) => ({
          schema: {
            refId: q.refId,
            meta: { type: 'timeseries-multi', typeVersion: [0, 1] },
            fields: [
              { name: 'Time', type: 'time', config: { interval: stepMs } },
              { name: 'Value', type: 'number', labels: s.metric },
            ],
          },
          data: { values: [s.values.map((v) => v[0] * 1000), s.values.map((v) => Number(v[1]))] },
        }),
      ),
    };
  }
  return { results };
}

export function grafanaTarget(): Promise<Target> {
  const healthy: Healthy = (req) => {
    if (req.path.startsWith('/api/annotations')) {
      return {
        status: 200,
        body: JSON.stringify(
          stacks.map((s, i) => ({
            id: i,
            time: end - (i + 1) * 600_000,
            tags: ['deploy', `service:${s}`],
            text: `deploy ${s}`,
          })),
        ),
      };
    }
    return { status: 200, body: JSON.stringify(dsQueryAnswer(req.body)) };
  };
  return Promise.resolve({
    name: 'grafana',
    sourceId: 'graf',
    secrets: [grafanaToken],
    healthy,
    close: () => Promise.resolve(),
    async run(url, limits) {
      const lines: string[] = [];
      const source = createGrafanaSource(
        {
          id: 'graf',
          type: 'grafana',
          url,
          token: grafanaToken,
          datasource: { uid: 'prom-main', type: 'prometheus' },
          timeoutMs: limits.timeoutMs,
          maxAttempts: limits.maxAttempts,
          maxResponseBytes: limits.maxBytes,
        },
        ctxFor(lines),
      );
      const plan = promPlan((s) => `avg(http_latency_seconds{service="${s}"})`, true);
      return sourceOutcome(await source.fetch(plan, new AbortController().signal), lines);
    },
  });
}

export const splunkToken = 'splunk-fake-token-fs9';

/** What the Splunk target's searches run over: a latency reading a minute and one deploy per stack. */
function splunkEvents(): FakeEvent[] {
  const events: FakeEvent[] = [];
  for (const [i, service] of stacks.entries()) {
    for (let t = start; t < end; t += stepMs)
      events.push({ index: 'web', time: t, fields: { service, latency: String(0.25 + i / 10) } });
    events.push({
      index: 'deploys',
      time: end - (i + 1) * 600_000,
      fields: { service, title: `deploy ${service}`, url: `https://ci.example.com/${service}` },
    });
  }
  return events;
}

export function splunkTarget(): Promise<Target> {
  const events = splunkEvents();
  // The export endpoint as splunkd answers it: the search run, its rows streamed one JSON per line.
  const healthy: Healthy = (req) => {
    if (req.headers.authorization !== `Bearer ${splunkToken}`)
      return {
        status: 401,
        body: JSON.stringify({ messages: [{ type: 'WARN', text: 'call not properly authenticated' }] }),
      };
    const form = new URLSearchParams(req.body);
    const rows = runSpl(
      form.get('search') ?? '',
      events,
      Number(form.get('earliest_time')) * 1000,
      Number(form.get('latest_time')) * 1000,
    );
    return { status: 200, body: exportLines(rows).join('\n') + '\n' };
  };
  const template = (s: string) => `search index=web service=${s} | timechart span=1m avg(latency)`;
  const deploys = (s: string) => `search index=deploys service=${s} | table _time title url`;
  return Promise.resolve({
    name: 'splunk',
    sourceId: 'splunk',
    secrets: [splunkToken],
    healthy,
    close: () => Promise.resolve(),
    async run(url, limits) {
      const lines: string[] = [];
      const source = createSplunkSource(
        {
          id: 'splunk',
          type: 'splunk',
          url,
          token: splunkToken,
          timeoutMs: limits.timeoutMs,
          maxAttempts: limits.maxAttempts,
          maxResponseBytes: limits.maxBytes,
        },
        ctxFor(lines),
      );
      const plan: SourcePlan = {
        start,
        end,
        eventsStart: start,
        groups: [
          {
            template: template('{{service}}'),
            members: stacks.map((s) => ({
              stackId: s,
              metricId: 'latency',
              query: template(s),
              vars: { service: s },
            })),
          },
        ],
        events: stacks.map((s) => ({
          stackId: s,
          kind: 'deployments' as const,
          query: deploys(s),
          template: deploys('{{service}}'),
          vars: { service: s },
        })),
      };
      return sourceOutcome(await source.fetch(plan, new AbortController().signal), lines);
    },
  });
}

export const pagerdutyToken = 'pd-fake-token-fs7';

export async function pagerdutyTarget(): Promise<Target> {
  const upstream = await startFakePagerduty({ token: pagerdutyToken });
  const services = { checkout: 'PSVCCHK', cart: 'PSVCCRT' } as const;
  upstream.incidents = stacks.map((s, i) => ({
    id: `PINC${i}`,
    number: 100 + i,
    title: `${s} errors`,
    service: services[s],
    status: 'resolved' as const,
    urgency: 'high' as const,
    createdAt: end - (i + 1) * 600_000,
    resolvedAt: end - 60_000,
  }));
  const user = { id: 'PUSER01', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000' };
  upstream.oncalls = [
    {
      user,
      schedule: { id: 'PSCHED1', name: 'Payments primary' },
      escalationPolicy: { id: 'PEP1', name: 'P' },
      level: 1,
    },
  ];
  const healthy: Healthy = async (req) => {
    const answer = await fetch(upstream.url + req.path, {
      headers: { authorization: String(req.headers.authorization ?? '') },
    });
    return { status: answer.status, body: await answer.text() };
  };
  return {
    name: 'pagerduty',
    sourceId: 'pd',
    secrets: [pagerdutyToken],
    healthy,
    close: () => upstream.close(),
    async run(url, limits) {
      const lines: string[] = [];
      const source = createPagerdutySource(
        {
          id: 'pd',
          type: 'pagerduty',
          url,
          token: pagerdutyToken,
          teams: { payments: { schedule: 'PSCHED1' } },
          timeoutMs: limits.timeoutMs,
          maxAttempts: limits.maxAttempts,
          maxResponseBytes: limits.maxBytes,
        },
        ctxFor(lines),
      );
      const plan: SourcePlan = {
        start,
        end,
        eventsStart: start,
        groups: [],
        events: stacks.map((s) => ({ stackId: s, kind: 'incidents' as const, query: services[s] })),
        teams: ['payments'],
      };
      const result = await source.fetch(plan, new AbortController().signal);
      const outcome = sourceOutcome(result, lines);
      // No metrics: what a stack can lose here is its incidents.
      return { ...outcome, unknown: outcome.eventsUnknown };
    },
  };
}

export const slackPath = '/services/T0FAULTS/B0FAULTS/slackhooksecret4242abcd';

export function slackTarget(): Promise<Target> {
  return Promise.resolve({
    name: 'slack',
    secrets: [slackPath],
    healthy: () => ({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } }),
    close: () => Promise.resolve(),
    async run(url, limits) {
      const lines: string[] = [];
      const channel = createSlackChannel({
        webhook: url + slackPath,
        timeoutMs: limits.timeoutMs,
        retry: { maxAttempts: limits.maxAttempts, baseDelayMs: 1, maxDelayMs: 1, maxTotalMs: 60_000 },
      });
      const result = await channel.deliver({
        report: sampleReport(),
        outDir: '/tmp',
        env: {},
        dryRun: false,
        secrets: [],
        logger: recordingLogger(lines),
        now: Date.now,
        sleep: () => Promise.resolve(),
        random: () => 0,
      });
      return {
        status: result.status,
        unknown: {},
        eventsUnknown: {},
        text: JSON.stringify(result) + '\n' + lines.join('\n'),
        retries: Number(/after (\d+) retries/.exec(JSON.stringify(result))?.[1] ?? 0),
      };
    },
  });
}
