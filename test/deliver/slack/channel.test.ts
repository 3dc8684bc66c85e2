import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createSlackChannel, githubRunUrl, slackPayload } from '../../../src/deliver/slack';
import type { DeliveryContext, DeliveryResult } from '../../../src/deliver/types';
import { postmortemFile } from '../../../src/render/postmortem';
import { sampleReport } from '../../fixtures/sample-report';

/** The secret part of a webhook URL, as Slack issues them. */
const token = 'T0FAKE/B0FAKE/xoxFake9'; // fake, short of the secret scanner's length

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A Slack stand-in on loopback: answers from a script (then 200 "ok") and records every request. */
class FakeSlack {
  readonly received: Received[] = [];
  private script: Reply[] = [];
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = this.script.shift() ?? { status: 200, body: 'ok' };
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/${token}`;
  }

  answer(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  reset(): void {
    this.received.splice(0);
    this.script.splice(0);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Harness {
  ctx: DeliveryContext;
  logs: string[];
  sleeps: number[];
}

function harness(over: Partial<DeliveryContext> = {}): Harness {
  const logs: string[] = [];
  const sleeps: number[] = [];
  let clock = Date.parse('2026-11-26T08:00:05.000Z');
  const ctx: DeliveryContext = {
    report: sampleReport(),
    outDir: '/tmp/out',
    dryRun: false,
    logger: {
      info: (m) => logs.push(`info ${m}`),
      warn: (m) => logs.push(`warn ${m}`),
      debug: (m) => logs.push(`debug ${m}`),
    },
    env: {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/payments-ops',
      GITHUB_RUN_ID: '4242',
    },
    now: () => clock,
    // Records the wait and lets the fake clock move on; resolves at once.
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    secrets: [],
    ...over,
  };
  return { ctx, logs, sleeps };
}

/** The detail of a success, or the error of a failure. */
function outcome(result: DeliveryResult): string {
  return result.status === 'failed' ? result.error : result.detail;
}

/** Everything a person or a log collector could see from one delivery. */
function visible(result: DeliveryResult, logs: string[]): string {
  return JSON.stringify(result) + logs.join('\n');
}

describe('createSlackChannel', () => {
  const slack = new FakeSlack();
  beforeAll(() => slack.start());
  afterAll(() => slack.stop());
  beforeEach(() => slack.reset());

  it('posts the Block Kit payload, linking the GitHub run, as JSON', async () => {
    const { ctx } = harness();

    const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    expect(result).toMatchObject({ channel: 'slack', status: 'sent' });
    expect(slack.received).toHaveLength(1);
    const [request] = slack.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(`/services/${token}`);
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request!.body)).toEqual(
      slackPayload(ctx.report, { runUrl: 'https://github.com/acme/payments-ops/actions/runs/4242' }),
    );
  });

  describe('names the post-mortem starter of each bad stack', () => {
    let out: string;
    beforeEach(() => {
      out = mkdtempSync(join(tmpdir(), 'scrumops-slack-'));
    });
    afterEach(() => rmSync(out, { recursive: true, force: true }));

    const postedText = () =>
      (JSON.parse(slack.received[0]!.body) as { blocks: { text?: { text: string } }[] }).blocks
        .map((b) => b.text?.text ?? '')
        .join('\n');

    it('by its path in the report files, linked when the files have an address', async () => {
      const { ctx } = harness({ outDir: out });
      const checkout = ctx.report.stacks.find((s) => s.id === 'checkout')!;
      const file = postmortemFile(ctx.report, checkout).path;
      mkdirSync(join(out, 'postmortem'));
      writeFileSync(join(out, file), 'starter');

      const result = await createSlackChannel({
        webhook: slack.url,
        artifactUrl: 'https://github.com/acme/payments-ops/actions/runs/4242#artifacts',
      }).deliver(ctx);

      expect(result.status).toBe('sent');
      const text = postedText();
      expect(text).toContain(
        ':memo: Post-mortem starter: `postmortem/2026-11-26-checkout.md` (<https://github.com/acme/payments-ops/actions/runs/4242#artifacts|in the report files>)',
      );
      // Ledger is bad too, but its starter was not written (no file): the message does not claim one.
      expect(text.match(/Post-mortem starter/g)).toHaveLength(1);
    });

    it('not at all when no starter was written (no md format)', async () => {
      const { ctx } = harness({ outDir: out });

      await createSlackChannel({ webhook: slack.url }).deliver(ctx);

      expect(postedText()).not.toContain('Post-mortem');
    });
  });

  it("keeps the run's secrets out of the message, even where escaping would have hidden them", async () => {
    const report = sampleReport();
    report.sources[1]!.errors = ['401 with key k3y&s3cret<42>: check GRAFANA_TOKEN'];
    const { ctx } = harness({ report, secrets: ['k3y&s3cret<42>'] });

    await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    const body = slack.received[0]!.body;
    expect(body).toContain('401 with key ***: check GRAFANA_TOKEN');
    expect(body).not.toContain('k3y');
  });

  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const { ctx, sleeps } = harness();
    slack.answer({ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });

    const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    expect(result.status).toBe('sent');
    expect(outcome(result)).toContain('after 1 retries');
    expect(sleeps).toEqual([7000]);
    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]!.body).toBe(slack.received[0]!.body);
  });

  it('gives up after a bounded number of attempts when Slack keeps failing with 5xx', async () => {
    const { ctx, sleeps } = harness();
    slack.answer(...Array.from({ length: 10 }, () => ({ status: 500, body: 'internal_error' })));

    const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    expect(result).toEqual({
      channel: 'slack',
      status: 'failed',
      error: 'Slack webhook failed: HTTP 500 internal_error (after 3 retries)',
    });
    expect(slack.received).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    // Exponential backoff with jitter (random() = 0.5): 250, 500, 1000 ms.
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
  ])('fails at once on HTTP %i (%s), without retrying', async (status, code) => {
    const { ctx, sleeps } = harness();
    slack.answer({ status, body: code });

    const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    expect(result).toEqual({
      channel: 'slack',
      status: 'failed',
      error: `Slack webhook failed: HTTP ${status} ${code}`,
    });
    expect(slack.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('in a dry run says what it would post and posts nothing', async () => {
    const { ctx, logs } = harness({ dryRun: true });

    const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

    expect(result.status).toBe('dry-run');
    expect(outcome(result)).toMatch(/^would post to the Slack webhook: \d+ blocks, 2 bad stacks first/);
    expect(logs.join('\n')).toContain('would post');
    expect(slack.received).toHaveLength(0);
  });

  describe('never shows the webhook URL', () => {
    interface Case {
      webhook: string;
      replies: Reply[];
      /** What the error should say instead. */
      error: RegExp;
    }

    it.each<[string, () => Promise<Case>]>([
      [
        'after a 4xx',
        () =>
          Promise.resolve({
            webhook: slack.url,
            replies: [{ status: 400, body: 'invalid_payload' }],
            error: /HTTP 400 invalid_payload$/,
          }),
      ],
      [
        'after retries',
        () =>
          Promise.resolve({
            webhook: slack.url,
            replies: [
              { status: 503 },
              { status: 429, headers: { 'retry-after': '1' } },
              { status: 404, body: 'no_service' },
            ],
            error: /HTTP 404 no_service \(after 2 retries\)$/,
          }),
      ],
      [
        'when Slack echoes the URL back',
        () =>
          Promise.resolve({
            webhook: slack.url,
            replies: [{ status: 400, body: `bad hook ${slack.url} and /services/${token}` }],
            error: /HTTP 400 bad hook \*\*\* and \*\*\*$/,
          }),
      ],
      [
        'when nothing listens',
        async () => {
          const gone = new FakeSlack();
          await gone.start();
          const webhook = gone.url;
          await gone.stop();
          return {
            webhook,
            replies: [],
            error: /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) \(after 3 retries\)$/,
          };
        },
      ],
      [
        'when the URL is not a URL',
        () =>
          Promise.resolve({
            webhook: `hooks.slack.com/services/${token}`,
            replies: [],
            error: /^the Slack webhook is not an http\(s\) URL; check delivery.slack.webhook$/,
          }),
      ],
    ])('%s', async (_, setup) => {
      const { webhook, replies, error } = await setup();
      slack.answer(...replies);
      const { ctx, logs } = harness();

      const result = await createSlackChannel({ webhook }).deliver(ctx);

      expect(result.status).toBe('failed');
      expect(outcome(result)).toMatch(error);
      const seen = visible(result, logs);
      expect(seen).not.toContain(webhook);
      expect(seen).not.toContain(token);
      expect(seen).not.toContain('xoxSuperSecretToken123');
      expect(logs.length).toBeGreaterThan(0);
    });

    it('nor in a dry run', async () => {
      const { ctx, logs } = harness({ dryRun: true });

      const result = await createSlackChannel({ webhook: slack.url }).deliver(ctx);

      expect(visible(result, logs)).not.toContain(token);
    });
  });

  it('times out a request that hangs, and retries it', async () => {
    const hanging = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const webhook = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/services/${token}`;
    const { ctx, sleeps } = harness();

    const result = await createSlackChannel({
      webhook,
      timeoutMs: 50,
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10, maxTotalMs: 1000 },
    }).deliver(ctx);

    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
    expect(result).toEqual({
      channel: 'slack',
      status: 'failed',
      error: 'Slack webhook failed: request timed out (after 1 retries)',
    });
    expect(sleeps).toHaveLength(1);
  });
});

describe('githubRunUrl', () => {
  it.each([
    [
      { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '9' },
      'https://github.com/a/b/actions/runs/9',
    ],
    [
      { GITHUB_SERVER_URL: 'https://ghe.example.com/', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '9' },
      'https://ghe.example.com/a/b/actions/runs/9',
    ],
    [{ GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '9' }, undefined],
    [{}, undefined],
  ])('%j → %s', (env, expected) => {
    expect(githubRunUrl(env)).toBe(expected);
  });
});
