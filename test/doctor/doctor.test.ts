/**
 * `scrumops doctor` against the loopback servers the other tests run: a real Prometheus (backfilled),
 * the fake Grafana in front of it, the fake Datadog, and the in-process SMTP server. A healthy set-up
 * passes with one ✔ line per check and exit 0; a broken one says what is wrong, line by line, exits 1,
 * and never prints a secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CliEnv } from '../../src/cli/commands';
import { doctorCommand } from '../../src/cli/doctor';
import { initCommand } from '../../src/cli/init';
import { silentLogger } from '../../src/logger';
import { FakeDatadog, apiKey, appKey } from '../sources/datadog/fake-datadog';
import { startFakeGrafana, type FakeGrafana } from '../sources/grafana/fake-grafana';
import { freePort, startPrometheus, type HistorySeries, type RunningPrometheus } from '../support/prometheus';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

/** The clock doctor runs at; the Prometheus history ends here (its staleness rule needs that). */
const now = Date.parse('2026-11-26T08:00:00Z');
const grafanaToken = 'glsa_doctor_test_token_0123';
const slackWebhook = 'https://hooks.slack.com/services/T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx';

function history(): HistorySeries[] {
  const points = (value: (t: number) => number): [number, number][] => {
    const out: [number, number][] = [];
    for (let t = now - 2 * 3_600_000; t <= now; t += 15_000) out.push([t, value(t)]);
    return out;
  };
  /** A counter rising by `perSecond` from zero. */
  const counter = (perSecond: number) => points((t) => ((t - (now - 2 * 3_600_000)) / 1000) * perSecond);
  // What the PromQL templates `scrumops init --prometheus` writes ask for, for its example stack.
  const initMetrics: HistorySeries[] = [
    ...[
      ['0.1', 40],
      ['0.5', 95],
      ['+Inf', 100],
    ].map(([le, rate]) => ({
      metric: 'http_request_duration_seconds_bucket',
      labels: { service: 'my-service', le: String(le) },
      points: counter(Number(rate)),
    })),
    { metric: 'http_requests_total', labels: { service: 'my-service', code: '200' }, points: counter(99) },
    { metric: 'http_requests_total', labels: { service: 'my-service', code: '500' }, points: counter(1) },
    {
      metric: 'container_cpu_usage_seconds_total',
      labels: { container: 'my-service' },
      points: counter(0.3),
    },
  ];
  return [
    ...initMetrics,
    { metric: 'http_latency_seconds', labels: { service: 'checkout' }, points: points(() => 0.2) },
    { metric: 'http_requests', labels: { service: 'checkout', pod: 'a' }, points: points(() => 10) },
    { metric: 'http_requests', labels: { service: 'checkout', pod: 'b' }, points: points(() => 12) },
  ];
}

let prometheus: RunningPrometheus;
let grafana: FakeGrafana;
const datadog = new FakeDatadog();
let smtp: TestSmtpServer;
let smtpWithLogin: TestSmtpServer;
let dir: string;

beforeAll(async () => {
  [prometheus, smtp, smtpWithLogin] = await Promise.all([
    startPrometheus(history()),
    startSmtpServer(),
    startSmtpServer({ user: 'reports', pass: 'smtp-secret-pass-9876' }),
    datadog.start(),
  ]);
  grafana = await startFakeGrafana({
    token: grafanaToken,
    datasourceUid: 'prom-main',
    prometheusUrl: prometheus.url,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([
    prometheus?.stop(),
    grafana?.close(),
    datadog.close(),
    smtp?.close(),
    smtpWithLogin?.close(),
  ]);
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-doctor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface SetUp {
  datasource?: string;
  promQuery?: string;
  promUrl?: string;
  grafanaQuery?: string;
  smtp?: string;
  slack?: string;
}

/** A config with all three network sources and every channel, as JSON (which YAML reads too). */
function writeConfig(setUp: SetUp = {}): string {
  const config = {
    report: { title: 'Doctor test', timezone: 'UTC', at: '08:00' },
    sources: [
      {
        id: 'dd',
        type: 'datadog',
        url: datadog.url,
        apiKey: '${DD_API_KEY}',
        appKey: '${DD_APP_KEY}',
      },
      {
        id: 'grafana',
        type: 'grafana',
        url: grafana.url,
        token: '${GRAFANA_TOKEN}',
        datasource: { uid: setUp.datasource ?? 'prom-main' },
      },
      { id: 'prom', type: 'prometheus', url: setUp.promUrl ?? prometheus.url },
    ],
    metrics: {
      latency_dd: { source: 'dd', query: 'avg:trace.http.request.duration{service:{{service}}}', unit: 's' },
      latency_grafana: {
        source: 'grafana',
        query: setUp.grafanaQuery ?? 'avg(http_latency_seconds{service="{{service}}"})',
        unit: 's',
      },
      requests_prom: {
        source: 'prom',
        query: setUp.promQuery ?? 'sum(http_requests{service="{{service}}"})',
        unit: 'req/s',
      },
    },
    stacks: [
      {
        id: 'checkout',
        vars: { service: 'checkout' },
        metrics: ['latency_dd', 'latency_grafana', 'requests_prom'],
      },
    ],
    delivery: {
      files: { dir: join(dir, 'out') },
      email: { smtp: '${SMTP_URL}', from: 'ops@example.com', to: ['leads@example.com'] },
      slack: { webhook: '${SLACK_WEBHOOK_URL}' },
      githubSummary: 'auto',
    },
  };
  const path = join(dir, 'scrumops.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

async function doctor(
  config: string,
  env: Record<string, string>,
): Promise<{ code: number; lines: string[]; text: string }> {
  let stdout = '';
  const cli: CliEnv = {
    env: {
      DD_API_KEY: apiKey,
      DD_APP_KEY: appKey,
      GRAFANA_TOKEN: grafanaToken,
      SMTP_URL: smtp.url,
      SLACK_WEBHOOK_URL: slackWebhook,
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
      ...env,
    },
    now: () => now,
    logger: silentLogger,
    stdout: (t) => (stdout += t),
    cwd: dir,
  };
  const code = await doctorCommand({ config }, cli);
  return { code, lines: stdout.split('\n').filter((l) => /^[✔✘!] /.test(l)), text: stdout };
}

describe('scrumops doctor', () => {
  it('a healthy set-up: one ✔ line per check, exit 0', async () => {
    const { code, lines, text } = await doctor(writeConfig(), {});

    expect(lines.filter((l) => !l.startsWith('✔'))).toEqual([]);
    expect(code).toBe(0);
    expect(lines).toEqual([
      expect.stringMatching(/^✔ config .*: 3 source\(s\), 1 stack\(s\), 3 metric\(s\)$/),
      expect.stringMatching(/^✔ source dd: Datadog url http:\/\/127\.0\.0\.1:\d+ reachable, API key valid/),
      '✔ source grafana: Grafana 12.3.0 reachable, token accepted, datasource "prom-main" is Prometheus (prometheus)',
      expect.stringMatching(/^✔ source prom: Prometheus \d+\.\d+\.\S+ reachable$/),
      expect.stringMatching(
        /^✔ checkout \/ latency_dd: 1 series, step \d+ (s|min), \d+ points, coverage \d+%$/,
      ),
      expect.stringMatching(
        /^✔ checkout \/ latency_grafana: 1 series, step \d+ (s|min), \d+ points, coverage 100%$/,
      ),
      expect.stringMatching(
        /^✔ checkout \/ requests_prom: 1 series, step \d+ (s|min), \d+ points, coverage 100%$/,
      ),
      expect.stringMatching(/^✔ files: .* is writable$/),
      expect.stringMatching(
        /^✔ email: SMTP 127\.0\.0\.1:\d+ reachable \(no TLS, no login\); 1 recipient, nothing sent$/,
      ),
      '✔ slack: webhook URL has the shape of a Slack incoming webhook (not posted to)',
      '✔ github-summary: GITHUB_STEP_SUMMARY is writable',
    ]);
    expect(text).toMatch(/All set/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('a broken set-up: says what is wrong and how to fix it, line by line, exit 1, no secret', async () => {
    const config = writeConfig({
      datasource: 'no-such-uid',
      promQuery: 'http_requests{service="{{service}}"}',
      smtp: 'x',
    });

    const { code, lines, text } = await doctor(config, {
      DD_API_KEY: 'wrong-dd-api-key-000000000000',
      SMTP_URL: smtpWithLogin.url,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0000AAAA',
    });

    expect(code).toBe(1);
    const line = (prefix: string) => lines.find((l) => l.startsWith(prefix)) ?? `(no line ${prefix})`;
    expect(line('✘ source dd:')).toMatch(/DD-API-KEY header.*→ set apiKey to an API key of url/);
    expect(line('✘ source grafana:')).toMatch(/no datasource with uid "no-such-uid".*→ set datasource\.uid/);
    expect(line('✔ source prom:')).toMatch(/reachable/);
    expect(line('✘ checkout / latency_dd:')).toBe(
      '✘ checkout / latency_dd: not run: source dd failed above → fix source dd first',
    );
    expect(line('✘ checkout / requests_prom:')).toMatch(
      /^✘ checkout \/ requests_prom: 2 series, expected 1 → aggregate it \(e\.g\. sum\(…\) or avg\(…\) without "by"\): http_requests\{service="checkout"\}$/,
    );
    expect(line('✘ email:')).toMatch(
      /does not offer STARTTLS, so the password would be sent in clear text; nothing was sent .*→ use smtps:\/\//,
    );
    expect(line('✘ slack:')).toMatch(/cut short or altered/);
    for (const secret of ['wrong-dd-api-key-000000000000', 'smtp-secret-pass-9876', grafanaToken, appKey])
      expect(text).not.toContain(secret);
    expect(text).toMatch(/\n\d+ problems would make the next report wrong/);
  });

  it('a query that returns nothing: 0 series, with the vars to check', async () => {
    const { code, lines } = await doctor(
      writeConfig({ grafanaQuery: 'avg(no_such_metric{service="{{service}}"})' }),
      {},
    );

    expect(code).toBe(1);
    expect(lines.find((l) => l.includes('latency_grafana'))).toBe(
      '✘ checkout / latency_grafana: 0 series in the last hour: avg(no_such_metric{service="checkout"}) → check the metric name and the stack\'s vars (service=checkout)',
    );
  });

  it('an unreachable source and a Grafana token that is refused', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;

    const { code, lines, text } = await doctor(writeConfig({ promUrl: closed }), {
      GRAFANA_TOKEN: 'glsa_wrong_token_00000000',
    });

    expect(code).toBe(1);
    expect(lines.find((l) => l.startsWith('✘ source prom:'))).toBe(
      `✘ source prom: cannot reach ${closed} (ECONNREFUSED) → check url: ${closed} cannot be reached from here`,
    );
    expect(lines.find((l) => l.startsWith('✘ source grafana:'))).toMatch(
      /not authenticated \(HTTP 401: Invalid API key\).*Authorization: Bearer header.*→ set the token to a Grafana service account token/,
    );
    expect(text).not.toContain('glsa_wrong_token_00000000');
  });

  it('init --prometheus URL, then doctor: the golden-signal templates work as written', async () => {
    let said = '';
    initCommand(
      {
        datadog: false,
        prometheus: prometheus.url,
        email: false,
        slack: false,
        timezone: 'UTC',
        at: '08:00',
        force: false,
        workflow: false,
      },
      {
        env: {},
        now: () => now,
        logger: silentLogger,
        stdout: (t) => (said += t),
        cwd: dir,
        version: '0.0.0',
      },
    );

    const { code, lines } = await doctor(join(dir, 'config/scrumops.yaml'), {});

    expect(said).toContain('wrote config/scrumops.yaml');
    expect(code).toBe(0);
    for (const metric of ['latency_p95', 'error_rate', 'throughput', 'saturation'])
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^✔ my-service / ${metric}: 1 series, step \\d+ (s|min), \\d+ points, coverage 100%$`),
        ),
      );
    expect(lines).toContainEqual(expect.stringMatching(/^! delivery: no email and no Slack/));
  });
});
