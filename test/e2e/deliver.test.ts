/**
 * Delivery end to end (design §2 exit codes, §8 delivery): `reportCommand` in process on the demo data,
 * with every channel pointed at a real server on loopback — an SMTP server that wants a login, a Slack
 * webhook stand-in on node:http, and a temp file as $GITHUB_STEP_SUMMARY. Files come first, then each
 * channel is tried on its own; a failing one makes the exit code 1 and never leaks its secret.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { simpleParser, type ParsedMail } from 'mailparser';

import { reportCommand, type CliEnv, type ReportOptions } from '../../src/cli/commands';
import { stderrLogger } from '../../src/cli/logger';
import { exitCodeFor } from '../../src/cli/main';
import type { Report } from '../../src/report/types';
import { closedPort, startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const repo = resolve(__dirname, '../..');
/** 08:30 UTC on 26 Nov 2026: the demo's latest report time is 09:00 Berlin (08:00 UTC) that day. */
const now = Date.parse('2026-11-26T08:30:00.000Z');
const smtpUser = 'scrumops';
const smtpPassword = 'Sm7pPassw0rdVerySecret';
/** The secret part of a webhook URL, shaped like the ones Slack issues. */
const slackToken = 'XXXXsecretTOKEN';
const slackPath = `/services/T000/B000/${slackToken}`;
// report.md brings a post-mortem starter per bad stack under postmortem/.
const reportFiles = ['postmortem', 'report.html', 'report.json', 'report.md', 'report.txt'];
const recipients = {
  all: 'eng-leads@shop.example',
  payments: 'payments@shop.example',
  discovery: 'discovery@shop.example',
  platform: 'platform@shop.example',
};
const title = '[scrum-ops] Web shop — daily health 2026-11-26';

/** The demo config reading the demo data by absolute path, delivering through every channel. */
function configText(): string {
  const demo = readFileSync(join(repo, 'config/demo.yaml'), 'utf8');
  const delivery = `delivery:
  files: { dir: out, formats: [html, md, json, txt] }
  githubSummary: auto
  email:
    smtp: \${SMTP_URL}
    allowInsecureAuth: true # the loopback test server has no TLS
    from: "Scrum-ops <scrum-ops@shop.example>"
    to: [${recipients.all}]
    teams:
      payments: [${recipients.payments}]
      discovery: [${recipients.discovery}]
      platform: [${recipients.platform}]
  slack:
    webhook: \${SLACK_WEBHOOK_URL}
`;
  const text = demo
    // The file source's folder and the PagerDuty recordings under it.
    .replace(
      /dir: \.\/demo(\/[\w-]+)?/g,
      (_m, sub?: string) => `dir: ${JSON.stringify(join(repo, 'config/demo') + (sub ?? ''))}`,
    )
    .replace(/^delivery:[\s\S]*$/m, delivery);
  // Fail loudly if the demo changed shape, rather than testing some other config.
  if (!text.includes(join(repo, 'config/demo')) || !text.includes('SLACK_WEBHOOK_URL'))
    throw new Error('config/demo.yaml no longer has the expected "dir: ./demo" and "delivery:" lines');
  return text;
}

interface SlackRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Which report files were already on disk when the request arrived. */
  filesPresent: string[];
  /** report.json as it was on disk at that moment (null when absent or not yet whole). */
  reportOnDisk: Report | null;
}

/** A Slack incoming webhook on loopback: answers every request with `status`, records what came. */
async function startSlack(outDir: string, status: number) {
  const received: SlackRequest[] = [];
  const server: Server = createServer((req, res) => {
    // Snapshot the out folder first thing: the files must already be there when a channel runs.
    const filesPresent = reportFiles.filter((f) => existsSync(join(outDir, f)));
    let reportOnDisk: Report | null = null;
    try {
      reportOnDisk = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
    } catch {
      // Absent or half written: recorded as null, asserted on later.
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        filesPresent,
        reportOnDisk,
      });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'invalid_payload');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${slackPath}`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

interface World {
  dir: string;
  out: string;
  summaryPath: string;
  smtp: TestSmtpServer | null;
  slack: Awaited<ReturnType<typeof startSlack>>;
  env: Record<string, string>;
}

async function setup(options: { smtpUp: boolean; slackStatus: number; summary?: string }): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'scrumops-e2e-deliver-'));
  const out = join(dir, 'out');
  const summaryPath = join(dir, 'step-summary.md');
  writeFileSync(summaryPath, options.summary ?? '');
  writeFileSync(join(dir, 'scrumops.yaml'), configText());
  const smtp = options.smtpUp ? await startSmtpServer({ user: smtpUser, pass: smtpPassword }) : null;
  const smtpPort = smtp ? smtp.port : await closedPort();
  const slack = await startSlack(out, options.slackStatus);
  const env = {
    SMTP_URL: `smtp://${smtpUser}:${smtpPassword}@127.0.0.1:${smtpPort}`,
    SLACK_WEBHOOK_URL: slack.url,
    GITHUB_STEP_SUMMARY: summaryPath,
  };
  return { dir, out, summaryPath, smtp, slack, env };
}

async function teardown(world: World | undefined): Promise<void> {
  if (!world) return;
  await world.slack.close();
  await world.smtp?.close();
  rmSync(world.dir, { recursive: true, force: true });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Workflow-command lines (annotations) the github-summary channel wrote to stdout. */
  annotations: string;
  ms: number;
}

/** `scrumops report --config scrumops.yaml [--send|--dry-run] --verbose` as the bin runs it. */
async function run(world: World, options: Partial<ReportOptions>): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliEnv = {
    env: world.env,
    now: () => now,
    // Verbose: every line the CLI can print is checked for secrets.
    logger: stderrLogger('verbose', (line) => err.push(line)),
    stdout: (text) => out.push(text),
    cwd: world.dir,
  };
  const started = performance.now();
  let code: number;
  try {
    code = await reportCommand(
      { config: 'scrumops.yaml', stack: [], send: false, dryRun: false, ...options },
      cli,
    );
  } catch (error) {
    code = exitCodeFor(error, 'verbose', (text) => err.push(text));
  }
  const stdout = out.join('');
  return {
    code,
    stdout,
    stderr: err.join(''),
    annotations: stdout
      .split('\n')
      .filter((line) => line.startsWith('::'))
      .map((line) => `${line}\n`)
      .join(''),
    ms: performance.now() - started,
  };
}

/** Every file under out/, post-mortem starters included, as text (binary parts of .eml files are base64 anyway). */
function outFiles(world: World): Record<string, string> {
  return Object.fromEntries(
    readdirSync(world.out, { recursive: true, encoding: 'utf8' })
      .filter((f) => statSync(join(world.out, f)).isFile())
      .map((f) => [f, readFileSync(join(world.out, f), 'utf8')] as const),
  );
}

/** Everything a person, a log collector or a recipient could see from one run. */
function everythingVisible(world: World, result: Run): string {
  return [
    result.stdout,
    result.stderr,
    result.annotations,
    readFileSync(world.summaryPath, 'utf8'),
    ...Object.values(outFiles(world)),
    ...world.slack.received.map((r) => r.body),
    ...(world.smtp?.messages.map((m) => m.raw.toString('utf8')) ?? []),
  ].join('\n');
}

function expectReportFilesWritten(world: World): void {
  for (const f of reportFiles.filter((name) => name.startsWith('report.')))
    expect(readFileSync(join(world.out, f), 'utf8').length).toBeGreaterThan(100);
  expect(readdirSync(join(world.out, 'postmortem'))).toHaveLength(2); // one starter per bad stack
  const json = JSON.parse(readFileSync(join(world.out, 'report.json'), 'utf8')) as Report;
  expect(json.summary).toEqual({ bad: 2, good: 1, normal: 3, unknown: 1 });
}

/** `cid:` references in an HTML body. */
function cidLinks(html: string): string[] {
  return [...html.matchAll(/cid:([^"'\s)]+)/g)].map((m) => m[1]!);
}

describe('--send with every channel up', () => {
  let world: World;
  let result: Run;
  beforeAll(async () => {
    world = await setup({ smtpUp: true, slackStatus: 200 });
    result = await run(world, { send: true });
  });
  afterAll(() => teardown(world));

  it('exits 0, writes every report file and says each channel delivered', () => {
    expect(result.code).toBe(0);
    expect(readdirSync(world.out).sort()).toEqual(reportFiles);
    expectReportFilesWritten(world);
    expect(result.stderr).toMatch(/^email: sent 4 messages via 127\.0\.0\.1:\d+: /m);
    expect(result.stderr).toMatch(/^slack: posted to Slack: /m);
    expect(result.stderr).toMatch(/^github-summary: appended \d+ bytes of Markdown/m);
    expect(result.stderr).not.toMatch(/FAILED|^warning:/m);
  });

  it('emails the whole report to `to` and each team its own stacks, with counts and inline charts', () => {
    const messages = world.smtp!.messages;

    expect(messages.map((m) => m.to)).toEqual([
      [recipients.all],
      [recipients.payments],
      [recipients.discovery],
      [recipients.platform],
    ]);
    expect(messages.map((m) => m.parsed.subject)).toEqual([
      `${title} — 2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown`,
      `${title} — 2 bad (1 new, 1 third day) · 0 good · 0 normal`,
      `${title} — 0 bad · 1 recovered · 1 good · 1 normal`,
      `${title} — 0 bad · 0 good · 2 normal · 1 unknown`,
    ]);
    const images = messages.map(({ parsed }) => {
      const cids = cidLinks(typeof parsed.html === 'string' ? parsed.html : '');
      const attached = parsed.attachments.filter((a) => a.contentType === 'image/png').map((a) => a.cid);
      // Every chart the HTML shows is attached inline, and nothing else is.
      expect([...new Set(cids)].sort()).toEqual([...attached].sort());
      expect(parsed.text).toContain('bad');
      return cids.length;
    });
    // Charts for the bad and good stacks; the platform team's copy has only normal and unknown ones.
    expect(images.slice(0, 3).every((n) => n > 0)).toBe(true);
    const payments = messages[1]!.parsed.html as string;
    expect(payments).toContain('Checkout');
    expect(payments).not.toContain('Search');
  });

  it('posts one Block Kit message to the webhook, naming the bad stacks', () => {
    expect(world.slack.received).toHaveLength(1);
    const [request] = world.slack.received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe(slackPath);
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    const payload = JSON.parse(request!.body) as { text: string; blocks: unknown[] };
    expect(Array.isArray(payload.blocks)).toBe(true);
    expect(payload.blocks.length).toBeGreaterThan(3);
    expect(payload.text).toContain('2 bad');
    const blocks = JSON.stringify(payload.blocks);
    expect(blocks).toContain('Checkout');
    expect(blocks).toContain('Payments');
    // Bad stacks first (design §8): both come before the good one.
    expect(blocks.indexOf('Checkout')).toBeLessThan(blocks.indexOf('Search'));
    expect(blocks.indexOf('Payments')).toBeLessThan(blocks.indexOf('Search'));
    // Each bad stack names its post-mortem starter, written beside report.md before Slack was tried.
    expect(blocks).toContain('Post-mortem starter: `postmortem/2026-11-26-checkout.md`');
    expect(blocks).toContain('Post-mortem starter: `postmortem/2026-11-26-payments.md`');
  });

  it('appends the Markdown report to $GITHUB_STEP_SUMMARY', () => {
    const summary = readFileSync(world.summaryPath, 'utf8');

    const md = readFileSync(join(world.out, 'report.md'), 'utf8');
    expect(summary.startsWith(md)).toBe(true);
    expect(summary).toContain('## Web shop — daily health — 2026-11-26');
    // …then each bad stack's post-mortem starter, the file written beside report.md, under <details>.
    for (const id of ['checkout', 'payments']) {
      const file = `postmortem/2026-11-26-${id}.md`;
      expect(summary).toContain(
        `(${file})</summary>\n\n${readFileSync(join(world.out, file), 'utf8')}\n</details>`,
      );
    }
    // …and puts the bad stacks on the run page as annotations (workflow commands on stdout).
    expect(result.annotations).toMatch(/^::warning title=scrumops%3A Checkout is bad::/m);
    expect(result.annotations).toMatch(/^::warning title=scrumops%3A Payments is bad::/m);
  });

  it('wrote the report files before any channel was tried', () => {
    const [request] = world.slack.received;

    expect(request!.filesPresent).toEqual(reportFiles);
    expect(request!.reportOnDisk?.summary).toEqual({ bad: 2, good: 1, normal: 3, unknown: 1 });
  });

  it('puts no credential in anything it wrote or sent', () => {
    const seen = everythingVisible(world, result);

    expect(seen).not.toContain(smtpPassword);
    expect(seen).not.toContain(slackToken);
  });
});

describe('Slack answers 400 (a permanent failure)', () => {
  let world: World;
  let result: Run;
  beforeAll(async () => {
    world = await setup({ smtpUp: true, slackStatus: 400 });
    result = await run(world, { send: true });
  });
  afterAll(() => teardown(world));

  it('exits 1 and names slack as failed, without retrying a 4xx', () => {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^warning: deliver: slack FAILED: Slack webhook failed: HTTP 400/m);
    expect(result.stderr).not.toMatch(/deliver: (email|github-summary) FAILED/);
    expect(world.slack.received).toHaveLength(1);
  });

  it('still writes the files and delivers the email and the job summary', () => {
    expectReportFilesWritten(world);
    expect(world.smtp!.messages).toHaveLength(4);
    expect(world.smtp!.messages[0]!.parsed.subject).toBe(
      `${title} — 2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown`,
    );
    expect(readFileSync(world.summaryPath, 'utf8')).toContain('## Web shop — daily health — 2026-11-26');
  });

  it('never shows the webhook URL or its token', () => {
    const printed = [result.stderr, result.stdout, result.annotations, ...Object.values(outFiles(world))];

    for (const text of printed) {
      expect(text).not.toContain(world.slack.url);
      expect(text).not.toContain(slackPath);
      expect(text).not.toContain(slackToken);
    }
    expect(everythingVisible(world, result)).not.toContain(slackToken);
  });
});

describe('SMTP server down (nothing listens)', () => {
  let world: World;
  let result: Run;
  beforeAll(async () => {
    world = await setup({ smtpUp: false, slackStatus: 200 });
    // A refused connection is worth retrying; the CLI's jitter comes from Math.random, so zero jitter
    // keeps all four attempts of each message without waiting seconds between them.
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      result = await run(world, { send: true });
    } finally {
      random.mockRestore();
    }
  });
  afterAll(() => teardown(world));

  it('exits 1 and names every recipient that got nothing, after retries', () => {
    expect(result.code).toBe(1);
    const failed = result.stderr.split('\n').find((l) => l.startsWith('warning: deliver: email FAILED:'));
    expect(failed).toBeDefined();
    for (const address of Object.values(recipients)) expect(failed).toContain(address);
    expect(failed).toContain('connection refused (ECONNREFUSED) (after 3 retries)');
    expect(result.stderr).not.toMatch(/deliver: (slack|github-summary) FAILED/);
  });

  it('still writes the files and posts to Slack', () => {
    expectReportFilesWritten(world);
    expect(world.slack.received).toHaveLength(1);
    expect(result.stderr).toMatch(/^slack: posted to Slack: /m);
  });

  it('never shows the SMTP password', () => {
    const seen = everythingVisible(world, result);

    // The server is named (host:port), its credentials are not.
    expect(seen).toMatch(/via 127\.0\.0\.1:\d+/);
    expect(seen).not.toContain(smtpPassword);
    expect(seen).not.toContain(encodeURIComponent(smtpPassword));
    expect(seen).not.toContain(world.env.SMTP_URL);
  });
});

describe('--dry-run', () => {
  const earlier = '# An earlier step\n\nIts summary stays as it was.\n';
  let world: World;
  let result: Run;
  beforeAll(async () => {
    world = await setup({ smtpUp: true, slackStatus: 200, summary: earlier });
    result = await run(world, { dryRun: true });
  });
  afterAll(() => teardown(world));

  it('exits 0 and sends nothing', () => {
    expect(result.code).toBe(0);
    expect(world.smtp!.rcptLog).toEqual([]);
    expect(world.smtp!.messages).toEqual([]);
    expect(world.slack.received).toEqual([]);
    expect(readFileSync(world.summaryPath, 'utf8')).toBe(earlier);
    expect(result.annotations).toBe('');
  });

  it('writes every email it would send as an .eml file next to the report files', async () => {
    const files = readdirSync(world.out).sort();

    expect(files).toEqual([
      'email-all.eml',
      'email-team-discovery.eml',
      'email-team-payments.eml',
      'email-team-platform.eml',
      ...reportFiles,
    ]);
    const all: ParsedMail = await simpleParser(readFileSync(join(world.out, 'email-all.eml')), {
      keepCidLinks: true,
    });
    expect(all.subject).toBe(
      `${title} — 2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown`,
    );
    expect(all.to && !Array.isArray(all.to) ? all.to.text : '').toBe(recipients.all);
    expect(cidLinks(typeof all.html === 'string' ? all.html : '').length).toBeGreaterThan(0);
  });

  it('says what would have gone to whom, with no credential', () => {
    expect(result.stderr).toMatch(/^email: dry run, nothing sent; would send 4 messages: /m);
    expect(result.stderr).toContain(recipients.platform);
    expect(result.stderr).toMatch(/^slack: would post to the Slack webhook: /m);
    expect(result.stderr).toMatch(/^github-summary: would append \d+ bytes/m);
    const seen = everythingVisible(world, result);
    expect(seen).not.toContain(smtpPassword);
    expect(seen).not.toContain(slackToken);
  });
});
