/**
 * The network fault suite: every fault × every target (Datadog, Prometheus, Grafana, Splunk, PagerDuty, Slack), each run
 * in-process against a loopback server. Each case asserts the outcome (status), which stacks are
 * unknown and why, that it ended in bounded time, and that no secret — nor any 8-character piece of
 * one — appears in anything the run produced.
 */
import { NetworkFaultServer, bomb, type Fault } from './network-server';

const bombBytes = 64 * 1024 * 1024;
import {
  datadogTarget,
  grafanaTarget,
  pagerdutyTarget,
  prometheusTarget,
  slackTarget,
  splunkTarget,
  stacks,
  type Outcome,
  type Target,
  type TargetName,
} from './network-targets';

const targets: Record<TargetName, Target> = {} as Record<TargetName, Target>;

beforeAll(async () => {
  targets.datadog = await datadogTarget();
  targets.prometheus = await prometheusTarget();
  targets.grafana = await grafanaTarget();
  targets.splunk = await splunkTarget();
  targets.pagerduty = await pagerdutyTarget();
  targets.slack = await slackTarget();
  // Built once up front (~1 s), not while a client's timeout runs.
  bomb(bombBytes);
  // Load the Datadog client (thousands of modules, seconds on a cold disk) outside the timed cases.
  const warm = await new NetworkFaultServer(targets.datadog.healthy).start();
  await targets.datadog.run(warm.url, { timeoutMs: 30_000, maxAttempts: 1 });
  await warm.stop();
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(targets).map((t) => t.close()));
});

/** Every 8-character piece of every secret: none may appear anywhere. */
function assertNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      if (text.includes(piece))
        throw new Error(
          `secret piece "${piece}" leaked: …${text.slice(Math.max(0, text.indexOf(piece) - 80), text.indexOf(piece) + 40)}…`,
        );
    }
  }
}

interface Expectation {
  /** ok/partial/failed (sources) or sent/failed (Slack). */
  status: 'ok' | 'failed' | 'partial';
  /** What every stack's unknown reason must say (none unknown when absent and status is ok). */
  reason?: RegExp;
  /** Upper bound on attempts made per request (1: not retried). */
  notRetried?: boolean;
}

interface FaultCase {
  name: string;
  fault: (target: Target, secret: string) => Fault;
  /** Only the first N requests misbehave (a fault that heals). */
  times?: number;
  expect: Expectation;
  /** Targets this fault does not apply to. */
  skip?: TargetName[];
  limits?: { timeoutMs?: number; maxBytes?: number };
}

const echo = (secret: string, padTo: number) =>
  JSON.stringify({ error: `${'e'.repeat(padTo - 10)} key=${secret} and more after it` });

const faults: FaultCase[] = [
  {
    name: 'HTTP 500 every time',
    fault: () => ({ kind: 'status', status: 500, body: '{"error":"boom"}' }),
    expect: { status: 'failed', reason: /HTTP 500|500 Internal/ },
  },
  {
    name: 'HTTP 500 once, then healthy',
    fault: () => ({ kind: 'status', status: 500 }),
    times: 1,
    expect: { status: 'ok' },
  },
  {
    name: 'HTTP 502 HTML page from a proxy',
    fault: () => ({
      kind: 'status',
      status: 502,
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
    }),
    expect: { status: 'failed', reason: /502/ },
  },
  {
    name: 'HTTP 401',
    fault: () => ({ kind: 'status', status: 401, body: '{"message":"invalid key"}' }),
    expect: { status: 'failed', reason: /401|not authenticated|Unauthorized/, notRetried: true },
  },
  {
    name: 'HTTP 403',
    fault: () => ({ kind: 'status', status: 403, body: '{"errors":["Forbidden"]}' }),
    expect: { status: 'failed', reason: /403|not allowed|Forbidden/, notRetried: true },
  },
  {
    name: 'HTTP 429 with Retry-After, then healthy',
    fault: () => ({ kind: 'status', status: 429, headers: { 'retry-after': '0' } }),
    times: 1,
    expect: { status: 'ok' },
  },
  {
    name: 'HTTP 429 without Retry-After, then healthy',
    fault: () => ({ kind: 'status', status: 429 }),
    times: 1,
    expect: { status: 'ok' },
  },
  {
    name: 'HTTP 429 every time',
    fault: () => ({ kind: 'status', status: 429, headers: { 'retry-after': '0' } }),
    expect: { status: 'failed', reason: /429|Too Many/ },
  },
  {
    name: 'a server that never answers',
    fault: () => ({ kind: 'hang' }),
    limits: { timeoutMs: 300 },
    expect: { status: 'failed', reason: /no answer within \d+ ms|timed out/ },
  },
  {
    name: 'headers at once, then a slow drip',
    fault: () => ({ kind: 'drip', everyMs: 20 }),
    limits: { timeoutMs: 300 },
    expect: { status: 'failed', reason: /no answer within \d+ ms|timed out/ },
  },
  {
    name: 'a body cut short',
    fault: () => ({ kind: 'truncate' }),
    expect: { status: 'failed', reason: /cut short/ },
  },
  {
    name: 'a body cut short once, then healthy',
    fault: () => ({ kind: 'truncate' }),
    times: 1,
    expect: { status: 'ok' },
  },
  {
    name: 'HTML with status 200',
    fault: () => ({
      kind: 'body',
      body: '<!doctype html><html><body>Sign in</body></html>',
      contentType: 'text/html',
    }),
    skip: ['slack'],
    expect: { status: 'failed', reason: /not JSON|unreadable|unexpected|Unexpected/, notRetried: true },
  },
  {
    name: 'JSON of the wrong shape',
    fault: () => ({ kind: 'body', body: '{"hello":"world"}' }),
    skip: ['slack'],
    expect: { status: 'failed', reason: /unexpected answer|unreadable answer|not a/, notRetried: true },
  },
  {
    name: 'a secret echoed just before the 300-character cut',
    fault: (_t, secret) => ({ kind: 'status', status: 400, body: echo(secret, 290) }),
    expect: { status: 'failed', reason: /\*\*\*|HTTP 400|400 Bad/ },
  },
  {
    name: 'a secret echoed across the 200-character cut',
    fault: (_t, secret) => ({ kind: 'status', status: 500, body: echo(secret, 195) }),
    expect: { status: 'failed' },
  },
  {
    name: 'a secret echoed in a line-broken body',
    fault: (_t, secret) => ({ kind: 'status', status: 500, body: `oops\n${secret}\n::error title=x::owned` }),
    expect: { status: 'failed' },
  },
  {
    name: 'an answer over the size limit',
    fault: () => ({ kind: 'oversize', bytes: 200_000 }),
    limits: { maxBytes: 100_000 },
    expect: { status: 'failed', reason: /larger than/, notRetried: true },
  },
  {
    name: 'a gzip bomb (1 KB inflating to 64 MB)',
    fault: () => ({ kind: 'gzip-bomb', bytes: bombBytes }),
    limits: { maxBytes: 1024 * 1024 },
    expect: { status: 'failed', reason: /larger than/, notRetried: true },
  },
  {
    name: 'a redirect to another host',
    fault: () => ({ kind: 'redirect', status: 302, location: `${otherHost.url}/steal` }),
    expect: { status: 'failed', reason: /another host|redirect/, notRetried: true },
  },
  {
    name: 'a 307 redirect to another host',
    fault: () => ({ kind: 'redirect', status: 307, location: `${otherHost.url}/steal` }),
    expect: { status: 'failed', reason: /another host|redirect/, notRetried: true },
  },
];

/** Where cross-host redirects point: it must never see a request. */
let otherHost: NetworkFaultServer;
beforeAll(async () => {
  otherHost = await new NetworkFaultServer(() => ({ status: 200, body: '{}' })).start('127.0.0.2');
});
afterAll(() => otherHost.stop());

const names: TargetName[] = ['datadog', 'prometheus', 'grafana', 'splunk', 'pagerduty', 'slack'];
const cases = faults.flatMap((f) =>
  names.filter((n) => !f.skip?.includes(n)).map((n) => [n, f.name, f] as const),
);

describe('network faults', () => {
  it.each(cases)('%s: %s', async (name, _label, fc) => {
    const target = targets[name];
    const server = await new NetworkFaultServer(target.healthy).start();
    server.fault = fc.fault(target, target.secrets[0]!);
    if (fc.times !== undefined) server.faultTimes = fc.times;
    // Generous where the case is not about time, so a busy machine does not turn it into a timeout.
    const timeoutMs = fc.limits?.timeoutMs ?? 5000;
    const maxAttempts = 2;
    const otherBefore = otherHost.requests.length;
    const started = Date.now();
    let outcome: Outcome;
    try {
      outcome = await target.run(server.url, { timeoutMs, maxAttempts, maxBytes: fc.limits?.maxBytes });
    } finally {
      await server.stop();
    }
    const elapsed = Date.now() - started;

    // Outcome.
    const expected = fc.expect.status === 'ok' && name === 'slack' ? 'sent' : fc.expect.status;
    expect(outcome.status).toBe(expected);
    // Which stacks are unknown, and why.
    if (name !== 'slack') {
      if (fc.expect.status === 'ok') {
        expect(outcome.unknown).toEqual({});
      } else {
        expect(Object.keys(outcome.unknown).sort()).toEqual([...stacks].sort());
        for (const why of Object.values(outcome.unknown)) {
          // The source is named, and the reason says why.
          expect(why).toContain(`source "${target.sourceId}"`);
          if (fc.expect.reason) expect(why).toMatch(fc.expect.reason);
        }
      }
    } else if (fc.expect.reason && fc.expect.status !== 'ok') {
      expect(outcome.text).toMatch(fc.expect.reason);
    }
    // Event searches: a failed one leaves the counts unknown (never 0), for every stack it served.
    if (name !== 'prometheus' && name !== 'slack') {
      const expectedUnknown = fc.expect.status === 'ok' ? [] : [...stacks].sort();
      expect(Object.keys(outcome.eventsUnknown).sort()).toEqual(expectedUnknown);
    }
    // Not retried when retrying cannot help.
    if (fc.expect.notRetried) expect(outcome.retries).toBe(0);
    // Bounded time: a few timeouts at most, never the default 30 s.
    expect(elapsed).toBeLessThan(fc.limits?.timeoutMs ? timeoutMs * 2 * 3 + 3000 : 10_000);
    // Credentials never follow a redirect to another host.
    expect(otherHost.requests.length).toBe(otherBefore);
    // No secret, no piece of one, and no line break from the server in any reason.
    assertNoSecret(outcome.text, target.secrets);
    for (const why of Object.values(outcome.unknown)) {
      expect(why).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });
});
