/**
 * The few network faults that need a whole process: the built CLI (dist/cli/main.js) against
 * loopback servers. What matters here is what only a process shows — its exit code, that it ends
 * at all (a Datadog answer cut short used to leave the run with nothing to wait for: exit 0, no
 * files, no message), and what reaches stdout/stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/types';
import { FakeDatadog, apiKey, appKey } from '../sources/datadog/fake-datadog';
import { NetworkFaultServer, type Fault, type SeenRequest } from './network-server';
import { pagerdutyTarget, pagerdutyToken, splunkTarget, splunkToken } from './network-targets';

const bin = join(__dirname, '../../dist/cli/main.js');
const at = '2026-11-26T08:00:00.000Z';
const promToken = 'prom-process-token-0a1b2c3d4e5f';
const secrets = [apiKey, appKey, promToken, splunkToken, pagerdutyToken];

let dir: string;
let upstream: FakeDatadog;
beforeAll(async () => {
  upstream = new FakeDatadog();
  await upstream.start();
});
afterAll(() => upstream.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-netproc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every report file's text. */
  files: Record<string, string>;
  ms: number;
}

function runCli(config: object): Promise<ProcessRun> {
  const configPath = join(dir, 'scrumops.json');
  writeFileSync(configPath, JSON.stringify(config));
  const out = join(dir, 'out');
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [bin, 'report', '--config', configPath, '--at', at, '--out', out, '--format', 'json,md,txt'],
    {
      env: {
        PATH: process.env.PATH,
        DD_API_KEY: apiKey,
        DD_APP_KEY: appKey,
        PROM_TOKEN: promToken,
        SPLUNK_TOKEN: splunkToken,
        PD_TOKEN: pagerdutyToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const files: Record<string, string> = {};
      if (existsSync(out)) for (const f of readdirSync(out)) files[f] = readFileSync(join(out, f), 'utf8');
      resolve({ code, stdout, stderr, files, ms: Date.now() - started });
    });
  });
}

function configFor(source: object, events: boolean): object {
  return {
    report: {
      title: 'faults',
      timezone: 'UTC',
      at: '08:00',
      window: '24h',
      baseline: { mode: 'daily', days: 3 },
    },
    sources: [{ id: 'src', timeoutMs: 20_000, maxAttempts: 1, ...source }],
    metrics: {
      latency: {
        label: 'p95 latency',
        source: 'src',
        query:
          {
            datadog: 'avg:trace.http.request.duration{env:prod,service:{{service}}}',
            splunk: 'search index=web service={{service}} | timechart span=5m avg(latency)',
          }[(source as { type: string }).type] ?? 'avg(http_latency_seconds{service="{{service}}"})',
        unit: 's',
        direction: 'lower',
      },
    },
    stacks: ['checkout', 'cart'].map((id) => ({
      id,
      vars: { service: id },
      metrics: ['latency'],
      ...(events ? { events: { deployments: { source: 'src', query: `source:deploy service:${id}` } } } : {}),
    })),
  };
}

function datadogConfig(url: string, events = true): object {
  return configFor({ type: 'datadog', url, apiKey: '${DD_API_KEY}', appKey: '${DD_APP_KEY}' }, events);
}

async function behindFaults(fault: Fault, when: (req: SeenRequest) => boolean = () => true) {
  const server = await new NetworkFaultServer(async (req) => {
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
  }).start();
  server.fault = fault;
  server.faultWhen = when;
  return server;
}

function assertClean(run: ProcessRun): void {
  const everything = [run.stdout, run.stderr, ...Object.values(run.files)].join('\n');
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) expect(everything).not.toContain(secret.slice(i, i + 8));
  }
  // Nothing from a server starts a workflow command or reaches the terminal as an escape code.
  for (const line of run.stderr.split('\n')) expect(line).not.toMatch(/^\s*::/);
  expect(run.stderr).not.toContain('\u001b');
}

const stacksOf = (run: ProcessRun) => (JSON.parse(run.files['report.json']!) as Report).stacks;

describe('network faults, whole process', () => {
  it('a Datadog answer cut short every time: exit 1 with files and a message, not exit 0 with nothing', async () => {
    const server = await behindFaults({ kind: 'truncate' });
    try {
      const run = await runCli(datadogConfig(server.url));

      expect(run.code).toBe(1);
      expect(Object.keys(run.files).sort()).toEqual(['report.json', 'report.md', 'report.txt']);
      expect(run.stderr).toMatch(/source "src".*cut short/);
      expect(stacksOf(run).map((s) => s.verdict)).toEqual(['unknown', 'unknown']);
      expect(run.ms).toBeLessThan(60_000);
      assertClean(run);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('a Splunk export answer cut short every time: exit 1 with files, the source named', async () => {
    const splunk = await splunkTarget();
    const server = await new NetworkFaultServer(splunk.healthy).start();
    server.fault = { kind: 'truncate' };
    try {
      const run = await runCli(
        configFor({ type: 'splunk', url: server.url, token: '${SPLUNK_TOKEN}' }, false),
      );

      expect(run.code).toBe(1);
      expect(Object.keys(run.files).sort()).toEqual(['report.json', 'report.md', 'report.txt']);
      expect(run.stderr).toMatch(/source "src".*cut short/);
      for (const stack of stacksOf(run)) {
        expect(stack.verdict).toBe('unknown');
        expect(stack.metrics[0]?.reason).toMatch(/source "src".*cut short/);
      }
      // The grouped search of each fetch (the report range, the older history), once each (maxAttempts 1).
      expect(server.requests).toHaveLength(2);
      assertClean(run);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('a failed Datadog events search: metrics judged, deployments "unknown (search failed)", never 0', async () => {
    const server = await behindFaults({ kind: 'status', status: 500, body: '{"errors":["down"]}' }, (req) =>
      req.path.startsWith('/api/v2/events'),
    );
    try {
      const run = await runCli(datadogConfig(server.url));

      // stderr in the diff, should it fail.
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      const stacks = stacksOf(run);
      for (const s of stacks) {
        expect(s.events.deployments?.status).toBe('failed');
        expect(s.events.deployments?.error).toMatch(/500/);
      }
      expect(stacks.every((s) => s.verdict !== 'unknown')).toBe(true);
      expect(run.files['report.txt']).toContain('deployments: unknown (search failed)');
      assertClean(run);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('a PagerDuty incidents outage: metrics judged, exit 0, incidents "unknown (search failed)" in every file', async () => {
    // Metrics from a Prometheus answering a flat series over whatever range it is asked (cheaper to
    // start than the Datadog client); incidents from the fake PagerDuty, failing every time.
    const prom = await new NetworkFaultServer((req) => {
      const form = new URLSearchParams(req.body);
      const [from, to, step] = ['start', 'end', 'step'].map((k) => Number(form.get(k)));
      const values: [number, string][] = [];
      for (let t = from!; t <= to!; t += step!) values.push([t, '0.25']);
      const services = /service=~?"([^"]*)"/.exec(form.get('query') ?? '')?.[1]?.split('|') ?? [];
      return {
        status: 200,
        body: JSON.stringify({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: services.map((service) => ({ metric: { service }, values })),
          },
        }),
      };
    }).start();
    const pagerduty = await pagerdutyTarget();
    const pd = await new NetworkFaultServer(pagerduty.healthy).start();
    pd.fault = { kind: 'status', status: 503, body: '{"error":{"message":"Service Unavailable"}}' };
    pd.faultWhen = (req) => req.path.startsWith('/incidents');
    const services: Record<string, string> = { checkout: 'PSVCCHK', cart: 'PSVCCRT' };
    const config = configFor({ type: 'prometheus', url: prom.url }, false) as {
      sources: object[];
      stacks: { id: string; events?: object }[];
    };
    config.sources.push({ id: 'pd', type: 'pagerduty', url: pd.url, token: '${PD_TOKEN}', maxAttempts: 1 });
    for (const stack of config.stacks)
      stack.events = { incidents: { source: 'pd', service: services[stack.id] } };
    try {
      const run = await runCli(config);

      // stderr in the diff, should it fail.
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
      const stacks = stacksOf(run);
      for (const s of stacks) {
        expect(s.verdict).not.toBe('unknown');
        expect(s.events.incidents).toMatchObject({ status: 'failed', window: 0, last14d: 0 });
        expect(s.events.incidents?.error).toMatch(
          /^source "pd": GET \/incidents: HTTP 503: Service Unavailable/,
        );
      }
      expect(run.files['report.txt']).toContain('incidents: unknown (search failed)');
      expect(run.files['report.md']).toContain('incidents: unknown (search failed)');
      expect(run.files['report.txt']).not.toMatch(/0 incidents/);
      assertClean(run);
    } finally {
      await Promise.all([pd.stop(), prom.stop(), pagerduty.close()]);
    }
  }, 90_000);

  it('a Datadog redirect to another host: the keys never reach it', async () => {
    const other = await new NetworkFaultServer(() => ({ status: 200, body: '{}' })).start('127.0.0.2');
    const server = await behindFaults({
      kind: 'redirect',
      status: 302,
      location: `${other.url}/api/v2/query/timeseries`,
    });
    try {
      const run = await runCli(datadogConfig(server.url));

      expect(other.requests).toEqual([]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/another host/);
      assertClean(run);
    } finally {
      await server.stop();
      await other.stop();
    }
  }, 90_000);

  it('a Prometheus warning that tries to start a workflow command reaches stderr as one flat line', async () => {
    const hostile = 'slow query\n::error title=pwned::owned\u001b[31m red \u001b]8;;http://x\u0007link';
    const server = await new NetworkFaultServer(() => ({
      status: 200,
      body: JSON.stringify({
        status: 'success',
        warnings: [hostile, `echo ${promToken}`],
        data: { resultType: 'matrix', result: [] },
      }),
    })).start();
    try {
      const run = await runCli(
        configFor({ type: 'prometheus', url: server.url, token: '${PROM_TOKEN}' }, false),
      );

      expect(run.stderr).toMatch(/Prometheus warns: slow query :/);
      assertClean(run);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
