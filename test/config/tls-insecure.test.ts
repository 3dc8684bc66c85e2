/**
 * `tls.insecure: true` turns off certificate checks (an impostor's certificate is accepted, and with
 * it the token): it is never silent. Loading the config warns once, naming the source (report and
 * validate print it on stderr); `scrumops doctor` shows it as a `!` line instead, once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliEnv } from '../../src/cli/commands';
import { validateCommand } from '../../src/cli/commands';
import { doctorCommand } from '../../src/cli/doctor';
import { parseConfig } from '../../src/config/load';
import { startFakeSplunk, type FakeSplunk } from '../sources/splunk/fake-splunk';

const token = 'splunk-tls-token-5';
const now = Date.parse('2026-11-26T08:00:00Z');
const warning = 'source "splunk": tls.insecure turns off certificate checks; prefer tls.caFile';

let splunk: FakeSplunk;
let dir: string;
beforeAll(async () => {
  splunk = await startFakeSplunk({ token });
  // A reading a minute over the hour doctor asks for.
  for (let t = now - 2 * 3_600_000; t < now; t += 60_000)
    splunk.events.push({ index: 'web', time: t, fields: { service: 'checkout', latency: '0.2' } });
});
afterAll(() => splunk.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scrumops-tls-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configText(tls: object | undefined): string {
  return JSON.stringify({
    report: { title: 'TLS', timezone: 'UTC', at: '08:00' },
    sources: [
      { id: 'splunk', type: 'splunk', url: splunk.url, token: '${SPLUNK_TOKEN}', ...(tls ? { tls } : {}) },
    ],
    metrics: {
      latency: {
        source: 'splunk',
        query: 'search index=web service={{service}} | timechart span=1m avg(latency)',
        unit: 's',
      },
    },
    stacks: [{ id: 'checkout', vars: { service: 'checkout' }, metrics: ['latency'] }],
    delivery: { files: { dir: join(dir, 'out') } },
  });
}

const env = { SPLUNK_TOKEN: token };

describe('config load', () => {
  it.each([
    ['tls.insecure: true', { insecure: true }, [warning]],
    ['tls.insecure: false', { insecure: false }, []],
    ['a private CA (tls.caFile)', { caFile: './ca.pem' }, []],
    ['no tls at all', undefined, []],
  ])('%s: %j', (_what, tls, expected) => {
    const config = parseConfig(configText(tls), join(dir, 'scrumops.json'), env);

    expect(config.warnings).toEqual(expected);
  });
});

async function runCli(command: (cli: CliEnv) => Promise<number> | number) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const cli: CliEnv = {
    env,
    now: () => now,
    logger: { info: () => {}, warn: (m) => stderr.push(`warning: ${m}`), debug: () => {} },
    stdout: (t) => stdout.push(t),
    cwd: dir,
  };
  const code = await command(cli);
  return { code, stdout: stdout.join(''), stderr };
}

describe('what a user sees', () => {
  it('validate: one warning line on stderr naming the source, exit 0', async () => {
    const path = join(dir, 'scrumops.json');
    writeFileSync(path, configText({ insecure: true }));

    const run = await runCli((cli) => validateCommand({ config: path }, cli));

    expect(run.code).toBe(0);
    expect(run.stderr).toEqual([`warning: ${warning}`]);
  });

  it('doctor: a `!` line naming the source, said once (not also on stderr), and the warning counted', async () => {
    const path = join(dir, 'scrumops.json');
    writeFileSync(path, configText({ insecure: true }));

    const run = await runCli((cli) => doctorCommand({ config: path }, cli));

    const marked = run.stdout.split('\n').filter((l) => /^[✔✘!] /.test(l));
    expect(marked.filter((l) => l.includes('tls.insecure'))).toEqual([`! config: ${warning}`]);
    expect(run.stderr).toEqual([]);
    // Beside the one about delivery (files only): a warning, not a failure.
    expect(run.stdout).toMatch(/All set \(2 warnings\)/);
    expect(run.code).toBe(0);
  });

  it('doctor without tls.insecure: no such line', async () => {
    const path = join(dir, 'scrumops.json');
    writeFileSync(path, configText(undefined));

    const run = await runCli((cli) => doctorCommand({ config: path }, cli));

    expect(run.stdout).not.toContain('tls.insecure');
    expect(run.stdout).toMatch(/All set \(1 warning\)/);
  });
});
