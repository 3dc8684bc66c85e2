/**
 * Sharding end to end, on files: `report --team T` once per demo team (the shards a matrix job would
 * run), then `merge` of their report.json files, delivered with --send to a real SMTP server on loopback,
 * a Slack webhook stand-in and a temp $GITHUB_STEP_SUMMARY. The merged report must equal a single run
 * over all stacks, and go out once per channel. Bad shards end in one line naming the file, exit 2.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  mergeCommand,
  reportCommand,
  type CliEnv,
  type MergeOptions,
  type ReportOptions,
} from '../../src/cli/commands';
import { exitCodeFor } from '../../src/cli/main';
import type { Report } from '../../src/report/types';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server';

const repo = resolve(__dirname, '../..');
/** 08:30 UTC on 26 Nov 2026: the demo's latest report time is 09:00 Berlin (08:00 UTC) that day. */
const now = Date.parse('2026-11-26T08:30:00.000Z');
const teams = ['payments', 'discovery', 'platform'];

/** The demo config reading the demo data by absolute path, delivering by email, Slack and summary. */
function configText(): string {
  const demo = readFileSync(join(repo, 'config/demo.yaml'), 'utf8');
  const text = demo
    .replace('dir: ./demo', `dir: ${JSON.stringify(join(repo, 'config/demo'))}`)
    .replace('smtp: smtp://localhost:2525', 'smtp: ${SMTP_URL}')
    .replace(/^delivery:\n/m, 'delivery:\n  slack: { webhook: "${SLACK_WEBHOOK_URL}" }\n');
  if (!text.includes('${SMTP_URL}') || !text.includes('SLACK_WEBHOOK_URL'))
    throw new Error('config/demo.yaml no longer has the expected "smtp:" and "delivery:" lines');
  return text;
}

let dir: string;
let smtp: TestSmtpServer;
let slack: Server;
let slackPosts: string[];
let env: Record<string, string>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-e2e-merge-'));
  writeFileSync(join(dir, 'scrumops.yaml'), configText());
  writeFileSync(join(dir, 'summary.md'), '');
  smtp = await startSmtpServer();
  slackPosts = [];
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      slackPosts.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((done) => slack.listen(0, '127.0.0.1', done));
  env = {
    SMTP_URL: smtp.url,
    SLACK_WEBHOOK_URL: `http://127.0.0.1:${(slack.address() as AddressInfo).port}/services/T0/B0/x`,
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  };
});

afterEach(async () => {
  slack.closeAllConnections();
  await new Promise<void>((done) => slack.close(() => done()));
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: (cli: CliEnv) => Promise<number>): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliEnv = {
    env,
    now: () => now,
    logger: { info: (m) => err.push(`${m}\n`), warn: (m) => err.push(`warning: ${m}\n`), debug: () => {} },
    stdout: (text) => out.push(text),
    cwd: dir,
  };
  let code: number;
  try {
    code = await command(cli);
  } catch (error) {
    code = exitCodeFor(error, 'normal', (text) => err.push(text));
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const report = (options: Partial<ReportOptions>) =>
  run((cli) =>
    reportCommand({ config: 'scrumops.yaml', stack: [], send: false, dryRun: false, ...options }, cli),
  );
const merge = (shards: string[], options: Partial<MergeOptions> = {}) =>
  run((cli) =>
    mergeCommand({ config: 'scrumops.yaml', shards, send: false, dryRun: false, ...options }, cli),
  );
const readReport = (path: string) => JSON.parse(readFileSync(join(dir, path), 'utf8')) as Report;

/** The three shard runs happen once per file; each test gets its own copy under shards/. */
let shardsMade: string | undefined;
async function writeShards(): Promise<void> {
  if (!shardsMade) {
    for (const team of teams) {
      const shard = await report({ team: [team], out: `shards/${team}`, format: 'json' });
      expect(shard.code).toBe(0);
    }
    shardsMade = mkdtempSync(join(tmpdir(), 'scrumops-e2e-shards-'));
    cpSync(join(dir, 'shards'), shardsMade, { recursive: true });
    return;
  }
  cpSync(shardsMade, join(dir, 'shards'), { recursive: true });
}
afterAll(() => {
  if (shardsMade) rmSync(shardsMade, { recursive: true, force: true });
});

describe('report --team', () => {
  it('reports only the stacks of the named teams', async () => {
    const result = await report({ team: ['payments', 'platform'], out: 'out', format: 'json' });

    expect(result.code).toBe(0);
    const teamsSeen = new Set(readReport('out/report.json').stacks.map((s) => s.team));
    expect([...teamsSeen].sort()).toEqual(['payments', 'platform']);
  });

  it('narrows --stack further: only stacks that match both', async () => {
    const result = await report({ team: ['payments'], stack: ['checkout', 'search'], format: 'json' });

    expect(result.code).toBe(0);
    expect(readReport('out/report.json').stacks.map((s) => s.id)).toEqual(['checkout']);
  });

  it('exits 2 naming an unknown team and the teams there are', async () => {
    const result = await report({ team: ['paymnets'] });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--team paymnets: no stack has this team (teams: payments, discovery');
  });
});

describe('merge of one shard per team', () => {
  it('equals a single run over every stack, summary and sources included', async () => {
    await writeShards();
    const single = await report({ out: 'single', format: 'json' });

    const merged = await merge(
      teams.map((t) => `shards/${t}`),
      { out: 'merged', format: 'json' },
    );

    expect(single.code).toBe(0);
    expect(merged.code).toBe(0);
    const one = readReport('single/report.json');
    const all = readReport('merged/report.json');
    expect(all.stacks).toEqual(one.stacks);
    expect(all.summary).toEqual(one.summary);
    expect(all.summary).toEqual({ bad: 2, good: 1, normal: 3, unknown: 1 });
    expect(all.window).toEqual(one.window);
    expect(all.sources).toEqual(one.sources);
    expect(merged.stdout).toContain(
      '2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown',
    );
  });

  it('delivers once: one email to `to` and one per team, one Slack post, one job summary', async () => {
    await writeShards();

    const merged = await merge(
      teams.map((t) => `shards/${t}/report.json`),
      { out: 'merged', send: true },
    );

    expect(merged.code).toBe(0);
    const recipients = smtp.messages.map((m) => m.to.join(',')).sort();
    expect(recipients).toEqual([
      'discovery@shop.example',
      'eng-leads@shop.example',
      'payments@shop.example',
      'platform@shop.example',
    ]);
    const whole = smtp.messages.find((m) => m.to.includes('eng-leads@shop.example'))!;
    expect(whole.parsed.subject).toContain(
      '2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown',
    );
    expect(slackPosts).toHaveLength(1);
    expect(slackPosts[0]).toContain('Checkout');
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(summary.match(/^## Web shop/gm)).toHaveLength(1);
    expect(summary).toContain('**2 bad (1 new, 1 third day) · 1 recovered · 1 good · 3 normal · 1 unknown**');
    for (const f of ['report.html', 'report.md', 'report.json', 'report.txt'])
      expect(readFileSync(join(dir, 'merged', f), 'utf8').length).toBeGreaterThan(100);
  });

  it('exits 3 with --fail-on bad when a shard holds a bad stack', async () => {
    await writeShards();

    const merged = await merge(
      teams.map((t) => `shards/${t}`),
      { out: 'merged', format: 'json', failOn: 'bad' },
    );

    expect(merged.code).toBe(3);
  });
});

describe('merge refuses a shard it cannot use, naming it', () => {
  const shardWith = (name: string, edit: (r: Record<string, unknown>) => unknown) => {
    const original = JSON.parse(readFileSync(join(dir, 'shards/payments/report.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    mkdirSync(join(dir, 'shards', name), { recursive: true });
    writeFileSync(join(dir, 'shards', name, 'report.json'), JSON.stringify(edit(original)));
  };

  it.each([
    ['a folder that does not exist', () => {}, 'shards/nowhere', 'shards/nowhere: no such file or folder'],
    [
      'a folder without report.json',
      () => mkdirSync(join(dir, 'shards/empty'), { recursive: true }),
      'shards/empty',
      'shards/empty/report.json: missing',
    ],
    [
      'a file that is not JSON',
      () => writeFileSync(join(dir, 'shards/broken.json'), '{"schemaVersion": 1,'),
      'shards/broken.json',
      'shards/broken.json: not JSON',
    ],
    [
      'JSON that is not a report',
      () => shardWith('odd', (r) => ({ ...r, stacks: 'many' })),
      'shards/odd',
      'shards/odd/report.json: not a scrumops report: stacks:',
    ],
    [
      'another schemaVersion',
      () => shardWith('future', (r) => ({ ...r, schemaVersion: 2 })),
      'shards/future',
      'shards/future/report.json: schemaVersion 2; this version of scrumops merges schemaVersion 1',
    ],
    [
      'another window',
      () =>
        shardWith('yesterday', (r) => ({
          ...r,
          window: { ...(r.window as object), end: '2026-11-25T08:00:00.000Z' },
          stacks: [],
        })),
      'shards/yesterday',
      'shards/yesterday/report.json: window 2026-11-25T08:00:00.000Z',
    ],
    [
      'a stack another shard already holds',
      () => shardWith('again', (r) => r),
      'shards/again',
      'shards/again/report.json: stack "checkout" is also in shards/payments/report.json',
    ],
  ])('%s: exit 2, one line', async (_, arrange, bad, message) => {
    await writeShards();
    arrange();

    const result = await merge(['shards/payments', bad], { out: 'merged', format: 'json' });

    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(smtp.messages).toHaveLength(0);
  });
});
