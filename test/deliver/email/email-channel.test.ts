import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { EmailDeliveryConfig } from '../../../src/config/schema';
import { createEmailChannel, filterReport } from '../../../src/deliver/email';
import type { DeliveryContext } from '../../../src/deliver/types';
import type { Report } from '../../../src/report/types';
import { postmortemFile } from '../../../src/render/postmortem';
import { sampleReport } from '../../fixtures/sample-report';
import { closedPort, silentServer, startSmtpServer, type TestSmtpServer } from '../../support/smtp-server';

const fastRetry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 5000, maxTotalMs: 60_000 };

function context(report: Report, overrides: Partial<DeliveryContext> = {}) {
  const logs: string[] = [];
  const sleep = jest.fn((_ms: number) => Promise.resolve());
  let clock = Date.parse('2026-11-26T08:00:05Z');
  const ctx: DeliveryContext = {
    report,
    outDir: '/nonexistent',
    dryRun: false,
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m), debug: (m) => logs.push(m) },
    env: {},
    now: () => (clock += 10),
    sleep,
    random: () => 0.5,
    secrets: [],
    ...overrides,
  };
  return { ctx, logs, sleep };
}

function emailConfig(server: { url: string }, extra: Partial<EmailDeliveryConfig> = {}): EmailDeliveryConfig {
  return {
    smtp: server.url,
    from: 'Scrum-ops <ops@example.com>',
    to: ['leads@example.com', 'cto@example.com'],
    teams: { payments: ['payments@example.com'], discovery: ['discovery@example.com'] },
    ...extra,
  };
}

describe('email channel against a real SMTP server', () => {
  let server: TestSmtpServer;
  const report = sampleReport();

  beforeEach(async () => {
    server = await startSmtpServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends the whole report to `to` and each team only its own stacks', async () => {
    const { ctx } = context(report);
    const config = emailConfig(server, {
      teams: { ...emailConfig(server).teams, nobody: ['ghost@example.com'] },
    });

    const result = await createEmailChannel(config, { retry: fastRetry }).deliver(ctx);

    expect(result).toMatchObject({ channel: 'email', status: 'sent' });
    expect(server.messages.map((m) => m.to)).toEqual([
      ['leads@example.com', 'cto@example.com'],
      ['payments@example.com'],
      ['discovery@example.com'],
    ]);
    const [all, payments, discovery] = server.messages.map((m) => m.parsed);
    expect(all!.subject).toBe(
      '[scrum-ops] Payments & friends — daily health 2026-11-26 — 2 bad · 1 good · 4 normal · 1 unknown',
    );
    expect(payments!.subject).toBe(
      '[scrum-ops] Payments & friends — daily health 2026-11-26 — 2 bad · 0 good · 1 normal',
    );
    expect(discovery!.subject).toBe(
      '[scrum-ops] Payments & friends — daily health 2026-11-26 — 0 bad · 1 good · 1 normal',
    );
    expect(payments!.html).toContain('Checkout');
    expect(payments!.html).toContain('Accounts');
    expect(payments!.html).not.toContain('Search');
    expect(payments!.html).toContain('for team payments');
    expect(discovery!.html).toContain('Search');
    expect(discovery!.html).not.toContain('Checkout');
    expect(all!.html).toContain('Reporting');
    expect(result.status === 'sent' && result.detail).toMatch(
      /nothing for team nobody \(no stacks in this report\)/,
    );
    expect(server.rcptLog).not.toContain('ghost@example.com');
  });

  it('sends multipart/alternative with a text part and every cid: image as an inline PNG part', async () => {
    const { ctx } = context(report);

    await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(ctx);

    expect(server.messages).toHaveLength(1);
    const { raw, parsed } = server.messages[0]!;
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/alternative;/i);
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/related;/i);
    expect(raw.toString('latin1')).toMatch(/^Auto-Submitted: auto-generated/im);
    expect(parsed.text).toContain('Payments & friends — daily health');
    expect(parsed.text).toContain('Checkout');
    const html = parsed.html as string;
    const cids = [...html.matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    // Every metric of the two bad stacks and the good one has a sparkline.
    const charted = report.stacks
      .filter((s) => s.verdict === 'bad' || s.verdict === 'good')
      .flatMap((s) => s.metrics.filter((m) => m.chart));
    expect(cids).toHaveLength(charted.length);
    for (const cid of cids) {
      const part = parsed.attachments.find((a) => a.cid === cid);
      expect(part).toBeDefined();
      expect(part!.contentType).toBe('image/png');
      expect(part!.contentDisposition).toBe('inline');
      expect(part!.related).toBe(true);
      expect(part!.content.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
    }
    // Beside the pictures: the post-mortem starter of each of the two bad stacks.
    expect(parsed.attachments.filter((a) => a.related)).toHaveLength(cids.length);
    expect(parsed.attachments).toHaveLength(cids.length + 2);
  });

  it('attaches the post-mortem starter of each bad stack and says so beside the stack', async () => {
    const { ctx } = context(report);

    await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(ctx);

    const { parsed } = server.messages[0]!;
    const files = parsed.attachments.filter((a) => a.contentDisposition === 'attachment');
    const bad = report.stacks.filter((s) => s.verdict === 'bad');
    expect(files.map((f) => f.filename)).toEqual(
      bad.map((s) => postmortemFile(report, s).path.replace('postmortem/', 'postmortem-')),
    );
    for (const [i, file] of files.entries()) {
      expect(file.contentType).toBe('text/markdown');
      expect(file.content.toString('utf8')).toBe(postmortemFile(report, bad[i]!).text);
    }
    expect(parsed.html).toContain('<b>Post-mortem starter</b>: attached (postmortem-2026-11-26-checkout.md)');
    expect(parsed.text).toContain(
      'Post-mortem starters attached: postmortem-2026-11-26-checkout.md, postmortem-2026-11-26-ledger.md.',
    );
  });

  it('attaches no starter to a message without a bad stack', async () => {
    const { ctx } = context(report);

    await createEmailChannel(emailConfig(server, { to: [], teams: { discovery: ['d@example.com'] } }), {
      retry: fastRetry,
    }).deliver(ctx);

    const { parsed } = server.messages[0]!;
    expect(parsed.attachments.filter((a) => a.contentDisposition === 'attachment')).toEqual([]);
    expect(parsed.html).not.toContain('Post-mortem starter');
  });

  it('keeps the HTML part as sent under Gmail’s 102 KB clipping even when all of 50 stacks are bad', async () => {
    const { ctx } = context(sampleReport({ stacks: 50, allVerdict: 'bad' }));

    const result = await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(
      ctx,
    );

    expect(result).toMatchObject({ status: 'sent' });
    const raw = server.messages[0]!.raw.toString('latin1');
    const htmlPart =
      /Content-Type: text\/html[^\r\n]*\r\nContent-Transfer-Encoding: ([^\r\n]+)\r\n\r\n([\s\S]*?)\r\n--/.exec(
        raw,
      );
    expect(htmlPart?.[1]).toBe('quoted-printable');
    expect(htmlPart![2]!.length).toBeLessThan(102 * 1024);
    expect(server.messages[0]!.parsed.html).toContain('more bad stacks in short form');
  });

  it('retries a 4xx answer and then succeeds, sleeping through the injected sleep', async () => {
    server.failData(451, '4.3.0 Try again later');
    const { ctx, sleep } = context(report);

    const result = await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(
      ctx,
    );

    expect(result).toMatchObject({ status: 'sent' });
    expect(result.status === 'sent' && result.detail).toContain('after 1 retry');
    expect(server.messages).toHaveLength(1);
    expect(sleep).toHaveBeenCalledTimes(1);
    // Full jitter with random() = 0.5 on a 1 s base: 500 ms.
    expect(sleep.mock.calls[0]![0]).toBe(500);
  });

  it('retries only the recipient a server deferred, never sending the others a second copy', async () => {
    server.rejectRecipient('cto@example.com', 450, '4.2.1 Mailbox busy');
    const { ctx } = context(report);

    const result = await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(
      ctx,
    );

    expect(result).toMatchObject({ status: 'sent' });
    expect(server.messages.map((m) => m.to)).toEqual([['leads@example.com'], ['cto@example.com']]);
    // The To: header still shows everyone who gets the report.
    expect(server.messages[1]!.parsed.to).toMatchObject({ text: 'leads@example.com, cto@example.com' });
  });

  it('reports a permanent 5xx rejection at once, naming the recipients, and still sends the other messages', async () => {
    const { ctx, sleep } = context(report);
    server.failData(554, '5.7.1 Message rejected as spam');

    const result = await createEmailChannel(emailConfig(server), { retry: fastRetry }).deliver(ctx);

    expect(sleep).not.toHaveBeenCalled();
    expect(result.status).toBe('failed');
    const error = result.status === 'failed' ? result.error : '';
    expect(error).toContain('leads@example.com');
    expect(error).toContain('cto@example.com');
    expect(error).toContain('554 5.7.1 Message rejected as spam');
    expect(error).not.toContain('payments@example.com (');
    expect(error).toMatch(/sent team payments \(3 stacks\) to payments@example.com; team discovery/);
    expect(server.messages.map((m) => m.to)).toEqual([['payments@example.com'], ['discovery@example.com']]);
  });

  it('names a recipient refused with 550 while the others get the message', async () => {
    server.rejectRecipient('cto@example.com', 550, '5.1.1 No such user');
    const { ctx, sleep } = context(report);

    const result = await createEmailChannel(emailConfig(server, { teams: {} }), { retry: fastRetry }).deliver(
      ctx,
    );

    expect(result.status).toBe('failed');
    expect(result.status === 'failed' && result.error).toMatch(
      /^failed for cto@example.com \(whole report: 550 5\.1\.1 No such user\)/,
    );
    expect(server.messages.map((m) => m.to)).toEqual([['leads@example.com']]);
    expect(sleep).not.toHaveBeenCalled();
  });
});

describe('email channel when the server is unreachable or the login is wrong', () => {
  it('retries a refused connection a bounded number of times, then fails naming every recipient', async () => {
    const port = await closedPort();
    const { ctx, sleep } = context(sampleReport());

    const result = await createEmailChannel(emailConfig({ url: `smtp://127.0.0.1:${port}` }), {
      retry: fastRetry,
    }).deliver(ctx);

    expect(result.status).toBe('failed');
    const error = result.status === 'failed' ? result.error : '';
    for (const address of [
      'leads@example.com',
      'cto@example.com',
      'payments@example.com',
      'discovery@example.com',
    ]) {
      expect(error).toContain(address);
    }
    expect(error).toContain('connection refused (ECONNREFUSED) (after 2 retries)');
    // The first message takes its three attempts (two waits); the others are not tried against a
    // server that is down, so the run does not wait through every message's retries.
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(error).toContain('not tried: connection refused (ECONNREFUSED)');
  });

  it('gives up on a server that never greets after its timeout, and retries that too', async () => {
    const silent = await silentServer();
    const { ctx, sleep } = context(sampleReport());
    try {
      const result = await createEmailChannel(
        emailConfig({ url: `smtp://127.0.0.1:${silent.port}` }, { teams: {} }),
        {
          retry: { ...fastRetry, maxAttempts: 2 },
          timeouts: { greetingMs: 150, connectionMs: 150 },
        },
      ).deliver(ctx);

      expect(result.status).toBe('failed');
      expect(result.status === 'failed' && result.error).toMatch(/timed out/i);
      expect(sleep).toHaveBeenCalledTimes(1);
    } finally {
      await silent.close();
    }
  });

  it('never shows the SMTP password or other secrets, in results or logs', async () => {
    const password = 'p@ss:w0rd/with%signs';
    const server = await startSmtpServer({ user: 'mailer', pass: 'the-right-one' });
    try {
      const url = `smtp://mailer:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
      const { ctx, logs } = context(sampleReport(), { secrets: ['other-token-123'] });
      // The test server has no TLS: the password goes in clear on loopback only because the config says so.
      const config = emailConfig(
        { url },
        { teams: {}, to: ['other-token-123@example.com'], allowInsecureAuth: true },
      );

      const result = await createEmailChannel(config, { retry: fastRetry }).deliver(ctx);

      expect(result.status).toBe('failed');
      const everything = JSON.stringify(result) + logs.join('\n');
      expect(everything).toContain('535');
      expect(everything).not.toContain(password);
      expect(everything).not.toContain(encodeURIComponent(password));
      expect(everything).not.toContain('other-token-123');
      expect(everything).toContain('***');
      expect(server.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('email channel dry run', () => {
  let outDir: string;
  beforeEach(() => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'scrumops-email-'));
  });
  afterEach(() => rmSync(outDir, { recursive: true, force: true }));

  it('renders every message to .eml under outDir, sends nothing, and says who would get what', async () => {
    const port = await closedPort();
    const { ctx } = context(sampleReport(), { dryRun: true, outDir });

    const result = await createEmailChannel(emailConfig({ url: `smtp://127.0.0.1:${port}` })).deliver(ctx);

    expect(result.status).toBe('dry-run');
    const detail = result.status === 'dry-run' ? result.detail : '';
    expect(detail).toContain('nothing sent');
    expect(detail).toContain('whole report (8 stacks) to leads@example.com, cto@example.com');
    expect(detail).toContain('team payments (3 stacks) to payments@example.com');
    expect(readdirSync(outDir).sort()).toEqual([
      'email-all.eml',
      'email-team-discovery.eml',
      'email-team-payments.eml',
    ]);
    const eml = readFileSync(path.join(outDir, 'email-team-payments.eml'));
    expect(eml.toString('latin1')).toContain('\r\n');
    const parsed = await simpleParser(eml, { keepCidLinks: true });
    expect(parsed.subject).toMatch(/^\[scrum-ops\] .* 2026-11-26 — 2 bad · 0 good · 1 normal$/);
    expect(parsed.text).toContain('Checkout');
    expect(parsed.attachments.length).toBeGreaterThan(0);
    expect(parsed.date?.toISOString()).toMatch(/^2026-11-26T08:00/);
  });
});

describe('filterReport', () => {
  it('keeps only the team’s stacks and recomputes the counts', () => {
    const report = sampleReport({ stacks: 50 });

    const payments = filterReport(report, 'payments');

    expect(payments.stacks.every((s) => s.team === 'payments')).toBe(true);
    expect(payments.stacks.length).toBeGreaterThan(2);
    const sum =
      payments.summary.bad + payments.summary.good + payments.summary.normal + payments.summary.unknown;
    expect(sum).toBe(payments.stacks.length);
    expect(payments.summary.bad).toBe(payments.stacks.filter((s) => s.verdict === 'bad').length);
    expect(report.stacks).toHaveLength(50);
  });
});
